import { z } from 'zod'
import { ErrorResponse, FeedbackRequest, ScoreRequest, ScoreResponse } from '../events/schemas.js'

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
export const json = (description: string, schema: Record<string, unknown>) => ({ description, content: { 'application/json': { schema } } })
/** an error answer: the contract's error object */
export const err = (description: string) => json(description, ref('Error'))

const schema = (s: z.ZodType) => z.toJSONSchema(s, { target: 'openapi-3.0', unrepresentable: 'any', io: 'input' })

// one component per door, so the request's `event` is an OpenAPI discriminator: generators give each door
// its own type, and the docs show each door's fields apart
const DOORS = { registration: 'RegistrationEvent', login: 'LoginEvent', coupon_claim: 'CouponClaimEvent' } as const
const doorSchemas = () => {
  const out: Record<string, unknown> = {}
  for (const variant of ScoreRequest.options) {
    const door = variant.shape.event.value as keyof typeof DOORS
    out[DOORS[door]] = schema(variant)
  }
  const mapping = Object.fromEntries(Object.entries(DOORS).map(([door, name]) => [door, ref(name).$ref]))
  return { ...out, ScoreRequest: { oneOf: Object.values(DOORS).map(ref), discriminator: { propertyName: 'event', mapping } } }
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
    // filled from the routes themselves, each with its `config.openapi` (collectOperations)
    paths: {},
  }
}

/** An OpenAPI operation, carried by a route as `config: { openapi }` so the document is made from the routes. */
export type Operation = Record<string, unknown>

/**
 * Records each route's operation in the document as Fastify registers it, and names the routes that carry
 * none: the app refuses to start with any (`buildApp`), so a route cannot exist undocumented.
 */
export function collectOperations(doc: Record<string, unknown>): { add(route: { url: string; method: string | string[]; config?: unknown }): void; missing: string[] } {
  const paths = doc.paths as Record<string, Record<string, Operation>>
  const missing: string[] = []
  return {
    missing,
    add(route) {
      const op = (route.config as { openapi?: Operation } | undefined)?.openapi
      for (const m of [route.method].flat()) {
        // Fastify adds a HEAD beside every GET; it is the GET's
        if (m === 'HEAD') continue
        if (op === undefined) missing.push(`${m} ${route.url}`)
        else (paths[route.url] ??= {})[m.toLowerCase()] = op
      }
    },
  }
}
