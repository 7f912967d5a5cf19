import type { FastifyPluginAsync } from 'fastify'
import { FeedbackRequest } from '../../events/schemas.js'
import { sendError } from '../errors.js'
import { FeedbackLog, FeedbackUnavailable } from '../feedback-log.js'
import { parseBody } from '../validate.js'

/** POST /v1/feedback: a label for a scored event, appended for training and backtests. */
export const feedbackRoutes: FastifyPluginAsync<{ file: string }> = async (app, { file }) => {
  const feedback = new FeedbackLog(file)
  app.post('/v1/feedback', async (req, reply) => {
    const label = parseBody(FeedbackRequest, req.body, reply)
    if (label === undefined) return reply
    try {
      await feedback.append(label, new Date())
    } catch (err) {
      if (!(err instanceof FeedbackUnavailable)) throw err
      req.log.error({ err }, 'feedback not stored')
      reply.header('Retry-After', '5')
      return sendError(reply, 503, 'service_unavailable', 'the label could not be stored; retry later')
    }
    return reply.code(202).send({ status: 'accepted', event_id: label.event_id })
  })
}
