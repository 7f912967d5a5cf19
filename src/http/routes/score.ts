import type { FastifyPluginAsync } from 'fastify'
import { z } from 'zod'
import { ScoreRequest, ScoreResponse } from '../../events/schemas.js'
import type { Runtime } from '../../runtime.js'
import { ConflictError } from '../../scoring/scorer.js'
import { sendError } from '../errors.js'
import type { Metrics } from '../metrics.js'
import { parseBody } from '../validate.js'
import { err, json, ref } from '../openapi.js'

/** POST /v1/score: parse, score, reply. */
export const scoreRoutes: FastifyPluginAsync<{ runtime: Runtime; metrics: Metrics }> = async (app, { runtime, metrics }) => {
  // Serialised by a compiled schema (fast-json-stringify) instead of JSON.stringify: the shape is fixed.
  const scoreResponseSchema = z.toJSONSchema(ScoreResponse, { target: 'draft-7', unrepresentable: 'any' })
  app.post('/v1/score', {
    schema: { response: { 200: scoreResponseSchema } },
    config: {
      openapi: {
        summary: 'Score one event',
        parameters: [{ name: 'explain', in: 'query', required: false, schema: { type: 'string', enum: ['1', 'true'] }, description: 'include the feature vector' }],
        requestBody: { required: true, content: { 'application/json': { schema: ref('ScoreRequest') } } },
        responses: {
          '200': json('decision', ref('ScoreResponse')),
          '400': err('invalid_request'),
          '401': err('unauthorized'),
          '409': err('conflict: the same event_id is being scored right now, or was already scored with a different body'),
          '413': err('payload_too_large'),
          '415': err('unsupported_media_type'),
          '503': err('service_unavailable: over capacity; see Retry-After'),
        },
      },
    },
  }, async (req, reply) => {
    const event = parseBody(ScoreRequest, req.body, reply)
    if (event === undefined) return reply
    const q = req.query as Record<string, string | undefined>
    const explain = q.explain === '1' || q.explain === 'true'
    try {
      const result = await runtime.scorer.score(event, { explain })
      metrics.observe(result)
      return result
    } catch (err) {
      if (err instanceof ConflictError) return sendError(reply, 409, 'conflict', err.message)
      throw err
    }
  })
}
