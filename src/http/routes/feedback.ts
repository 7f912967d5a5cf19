import type { FastifyPluginAsync } from 'fastify'
import { FeedbackRequest } from '../../events/schemas.js'
import { FeedbackLog } from '../feedback-log.js'
import { parseBody } from '../validate.js'

/** POST /v1/feedback: a label for a scored event, appended for training and backtests. */
export const feedbackRoutes: FastifyPluginAsync<{ file: string }> = async (app, { file }) => {
  const feedback = new FeedbackLog(file)
  app.post('/v1/feedback', async (req, reply) => {
    const label = parseBody(FeedbackRequest, req.body, reply)
    if (label === undefined) return reply
    await feedback.append(label, new Date())
    return reply.code(202).send({ status: 'accepted', event_id: label.event_id })
  })
}
