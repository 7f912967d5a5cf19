import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import { z } from 'zod'
import type { Config } from './config.js'
import { ConflictError } from './decision/scorer.js'
import { FeedbackRequest, ScoreRequest, ScoreResponse, toIssues } from './events/schemas.js'
import { KeyRing } from './http/auth.js'
import { errorHandler, sendError } from './http/errors.js'
import { FeedbackLog } from './http/feedback-log.js'
import { Metrics } from './http/metrics.js'
import { openApiDocument } from './http/openapi.js'
import type { Runtime } from './runtime.js'

export interface AppDeps {
  runtime: Runtime
  /** resolved keys (server.ts generates development keys when none are configured) */
  apiKeys: string[]
  adminKeys: string[]
  /** how often load is sampled for shedding (tests sample faster) */
  pressureSampleMs?: number
  /** a pino instance (Fastify 5 takes it as loggerInstance) */
  logger?: FastifyBaseLogger
}

const PUBLIC = new Set(['/healthz', '/readyz', '/openapi.json', '/metrics'])

/** The HTTP layer: parse, authenticate, call the scorer, reply. No scoring logic lives here. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: config.bodyLimit,
    return503OnClosing: true,
  })
  const { runtime } = deps
  const keys = new KeyRing(deps.apiKeys)
  const admins = new KeyRing(deps.adminKeys)
  const feedback = new FeedbackLog(config.feedbackFile)
  const metrics = new Metrics()

  // JSON only: any other media type is a 415, not a silently-empty body.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`))

  // Past the event-loop budget a queued request would miss any useful deadline anyway: refuse it fast with
  // 503 + Retry-After (the contract's "over capacity") so the storefront applies its own fallback at once.
  if (config.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      sampleInterval: deps.pressureSampleMs ?? 1000,
      pressureHandler: (_req, reply, type, value) => {
        reply.header('Retry-After', '1')
        sendError(reply, 503, 'service_unavailable', `over capacity (${type} ${Math.round(Number(value))} ms); retry after 1 s`)
      },
    })
  }

  const doc = openApiDocument(runtime.models.current.version)
  await app.register(swagger, { mode: 'static', specification: { document: doc as never } })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // Overload shows as requests piling up inside the process, not as a slow event loop: a saturated loop still
  // turns quickly, it just admits work faster than it finishes it, and every request waits behind the others
  // (at 4,000/s on two cores, 0.5-2 s at the median, all answered long after any storefront gave up).
  // Past `maxInFlight` scoring requests, the next one is refused at once, before its body is parsed, so
  // the storefront falls back while the admitted ones keep their latency.
  let inFlight = 0
  const release = () => void inFlight--

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!
    if (PUBLIC.has(path) || path.startsWith('/docs')) return
    if (!keys.verify(req.headers.authorization) && !admins.verify(req.headers.authorization)) {
      return sendError(reply.header('WWW-Authenticate', 'Bearer'), 401, 'unauthorized', 'missing or unknown API key; send Authorization: Bearer <key>')
    }
    if (path === '/v1/score' && config.maxInFlight > 0) {
      if (inFlight >= config.maxInFlight) {
        metrics.shed.inc()
        reply.header('Retry-After', '1')
        return sendError(reply, 503, 'service_unavailable', `over capacity (${inFlight} scoring requests in flight, MAX_IN_FLIGHT=${config.maxInFlight}); retry after 1 s`)
      }
      inFlight++
      reply.raw.once('close', release)
    }
  })

  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const redis = await runtime.store.ping()
    const body = { status: redis ? 'ready' : 'not_ready', store: runtime.store.kind, store_ok: redis, rules_version: runtime.rules.current.version, model: `${runtime.models.current.id}@${runtime.models.current.version}` }
    return reply.code(redis ? 200 : 503).send(body)
  })
  app.get('/openapi.json', async () => doc)
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))

  /** The body parsed by a zod schema, or a 400 naming every bad field (then undefined). */
  function parseBody<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | undefined {
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

  // Serialised by a compiled schema (fast-json-stringify) instead of JSON.stringify: the shape is fixed.
  const scoreResponseSchema = z.toJSONSchema(ScoreResponse, { target: 'draft-7', unrepresentable: 'any' })
  app.post('/v1/score', { schema: { response: { 200: scoreResponseSchema } } }, async (req, reply) => {
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

  app.post('/v1/feedback', async (req, reply) => {
    const label = parseBody(FeedbackRequest, req.body, reply)
    if (label === undefined) return reply
    await feedback.append(label, new Date())
    return reply.code(202).send({ status: 'accepted', event_id: label.event_id })
  })

  app.get('/v1/rules', async () => {
    const set = runtime.rules.current
    return {
      version: set.version,
      loaded_at: set.loadedAt,
      rules: set.rules.map((r) => ({ id: r.id, event: r.events, action: r.action, mode: r.mode, code: r.code, description: r.description, owner: r.owner ?? null, score: r.score ?? 0, file: r.file, line: r.line, compiled: r.compiled })),
      lists: [...set.lists.named.values()].map((l) => ({ name: l.name, kind: l.kind, entries: l.size })),
      last_error: runtime.rules.lastError,
    }
  })

  app.get('/v1/model', async () => {
    const m = runtime.models.current
    return {
      id: m.id,
      version: m.version,
      kind: m.card.kind,
      sha256: m.card.onnx.sha256,
      features: m.card.features.length,
      thresholds: m.card.thresholds,
      loaded_at: runtime.models.loadedAt,
      challenger: runtime.challenger ? { id: runtime.challenger.id, version: runtime.challenger.version } : null,
      last_error: runtime.models.lastError,
    }
  })

  app.post('/v1/model/reload', async (req, reply) => {
    if (deps.adminKeys.length === 0 || !admins.verify(req.headers.authorization)) {
      return sendError(reply, 403, 'forbidden', 'reloading the model needs an admin key (ADMIN_KEYS)')
    }
    const r = await runtime.models.reload()
    if (!r.ok) return reply.code(422).send({ error: 'model_invalid', message: 'the candidate model is invalid; the last good model keeps serving', detail: r.error, version: runtime.models.current.version })
    return { status: r.changed ? 'reloaded' : 'unchanged', version: r.version }
  })

  app.post('/v1/rules/reload', async (req, reply) => {
    if (deps.adminKeys.length === 0 || !admins.verify(req.headers.authorization)) {
      return sendError(reply, 403, 'forbidden', 'reloading rules needs an admin key (ADMIN_KEYS)')
    }
    const r = runtime.rules.reload()
    if (!r.ok) {
      return reply.code(422).send({ error: 'rules_invalid', message: 'the candidate rule set is invalid; the last good set keeps serving', errors: r.errors, version: runtime.rules.current.version })
    }
    return { status: r.changed ? 'reloaded' : 'unchanged', version: r.version }
  })

  return app
}
