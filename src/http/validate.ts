import type { FastifyReply } from 'fastify'
import type { z } from 'zod'
import { toIssues } from '../events/schemas.js'
import { sendError } from './errors.js'

/**
 * The one request-validation mechanism: the body parsed by its zod schema (the same schema the OpenAPI
 * document is generated from), or a 400 naming every bad field and undefined.
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    sendError(reply, 400, 'invalid_request', 'body must be a JSON object', [{ path: '(body)', message: 'expected a JSON object' }])
    return undefined
  }
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const issues = toIssues(parsed.error)
  sendError(reply, 400, 'invalid_request', `invalid ${issues.map((i) => i.path).join(', ')}`, issues)
  return undefined
}
