import { z } from 'zod'
import { ErrorResponse, FeedbackRequest, ScoreRequest, ScoreResponse } from '../events/schemas.js'

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'openapi-3.0', unrepresentable: 'any', io: 'input' })
const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } })

// one component per door, so the request's `event` is an OpenAPI discriminator: generators give each door
// its own type, and the docs show each door's fields apart
const DOORS = { registration: 'RegistrationEvent', login: 'LoginEvent', coupon_claim: 'CouponClaimEvent' } as const
const doorSchemas = () => {
  const out: Record<string, unknown> = {}
  for (const variant of ScoreRequest.options) {
    const door = variant.shape.event.value as keyof typeof DOORS
    out[DOORS[door]] = schema(variant)
  }
  const mapping = Object.fromEntries(Object.entries(DOORS).map(([door, name]) => [door, `#/components/schemas/${name}`]))
  return { ...out, ScoreRequest: { oneOf: Object.values(mapping).map(($ref) => ({ $ref })), discriminator: { propertyName: 'event', mapping } } }
}

/** The OpenAPI document, generated from the same zod schemas the service validates with. */
export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: { title: 'Bouncer risk scoring API', version, description: 'Score registrations, logins and coupon claims. The contract, field by field, is docs/CONTRACT.md, which ships with the service.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        ...doorSchemas(),
        ScoreResponse: z.toJSONSchema(ScoreResponse, { target: 'openapi-3.0', unrepresentable: 'any' }),
        FeedbackRequest: schema(FeedbackRequest),
        Error: z.toJSONSchema(ErrorResponse, { target: 'openapi-3.0' }),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/score': {
        post: {
          summary: 'Score one event',
          parameters: [{ name: 'explain', in: 'query', required: false, schema: { type: 'string', enum: ['1', 'true'] }, description: 'include the feature vector' }],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ScoreRequest' } } } },
          responses: {
            '200': { description: 'decision', content: { 'application/json': { schema: { $ref: '#/components/schemas/ScoreResponse' } } } },
            '400': err('invalid_request'),
            '401': err('unauthorized'),
            '409': err('conflict: the same event_id is being scored right now, or was already scored with a different body'),
            '413': err('payload_too_large'),
            '415': err('unsupported_media_type'),
            '503': err('service_unavailable: over capacity; see Retry-After'),
          },
        },
      },
      '/v1/feedback': {
        post: {
          summary: 'Label a scored event',
          description: 'Stored beside the decision records, keyed by the hashed event_id, for `npm run train -- --from-feedback` and `npm run backtest -- --from-store`. The latest label of an event wins. `note` is accepted and not stored.',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/FeedbackRequest' } } } },
          responses: { '202': { description: 'accepted' }, '400': err('invalid_request'), '401': err('unauthorized'), '503': err('service_unavailable') },
        },
      },
      '/v1/rules': { get: { summary: 'The rule set in force', responses: { '200': { description: 'rules' } } } },
      '/v1/rules/reload': { post: { summary: 'Reload rules from disk (admin key)', responses: { '200': { description: 'reloaded' }, '422': err('rules_invalid'), '403': err('forbidden') } } },
      '/v1/model': { get: { summary: 'The model in force: id, version, kind, sha256, feature count, thresholds, challenger, last reload error', responses: { '200': { description: 'model' } } } },
      '/v1/model/reload': { post: { summary: 'Reload the model from disk (admin key); the last good model keeps serving if the candidate is invalid', responses: { '200': { description: 'reloaded or unchanged' }, '422': err('model_invalid'), '403': err('forbidden') } } },
      '/metrics': { get: { summary: 'Prometheus metrics (a METRICS_KEYS or ADMIN_KEYS bearer key): requests by route and status, decisions, rule hits (shadow apart), score, stage and request durations, shed requests by reason, decision records written/dropped/queued, model drift, build info', responses: { '200': { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { security: [], summary: 'This document', responses: { '200': { description: 'OpenAPI 3.0 document' } } } },
      '/healthz': { get: { security: [], summary: 'The process is alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { security: [], summary: 'Rules and model loaded; Redis answers when configured', responses: { '200': { description: 'ready' }, '503': err('not ready') } } },
    },
  }
}
