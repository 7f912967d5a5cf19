import type { FastifyPluginAsync } from 'fastify'
import { FeedbackRequest } from '../../events/schemas.js'
import type { Runtime } from '../../runtime.js'
import { sendError } from '../errors.js'
import { parseBody } from '../validate.js'
import { err, ref } from '../openapi.js'

/**
 * POST /v1/feedback: a label for a scored event, stored beside the decision records (keyed by the hashed
 * event id, as they are) for `npm run train -- --from-feedback` and backtests. The free-text `note` is not
 * stored: it is where a reviewer would paste an email or a phone number.
 */
export const feedbackRoutes: FastifyPluginAsync<{ runtime: Runtime }> = async (app, { runtime }) => {
  app.post('/v1/feedback', {
    config: {
      openapi: {
        summary: 'Label a scored event',
        description: 'Stored beside the decision records, keyed by the hashed event_id, for `npm run train -- --from-feedback` and `npm run backtest -- --from-store`. The latest label of an event wins. `note` is accepted and not stored.',
        requestBody: { required: true, content: { 'application/json': { schema: ref('FeedbackRequest') } } },
        responses: { '202': { description: 'accepted' }, '400': err('invalid_request'), '401': err('unauthorized'), '503': err('service_unavailable') },
      },
    },
  }, async (req, reply) => {
    const label = parseBody(FeedbackRequest, req.body, reply)
    if (label === undefined) return reply
    try {
      await runtime.learning.label({ event_id_hash: runtime.hash('event', label.event_id), label: label.label, source: label.source, received_at: new Date().toISOString() })
    } catch (err) {
      req.log.error({ err, store: runtime.learning.where }, 'feedback not stored')
      reply.header('Retry-After', '5')
      return sendError(reply, 503, 'service_unavailable', 'the label could not be stored; retry later')
    }
    return reply.code(202).send({ status: 'accepted', event_id: label.event_id })
  })
}
