import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import underPressure from '@fastify/under-pressure'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Config } from './config.js'
import { AdmissionLimit } from './http/admission.js'
import { KeyRing } from './http/auth.js'
import { clientErrorHandler, errorHandler, sendError } from './http/errors.js'
import { Metrics } from './http/metrics.js'
import { collectOperations, openApiDocument } from './http/openapi.js'
import { adminRoutes } from './http/routes/admin.js'
import { feedbackRoutes } from './http/routes/feedback.js'
import { opsRoutes } from './http/routes/ops.js'
import { scoreRoutes } from './http/routes/score.js'
import type { Runtime } from './runtime.js'

export interface AppDeps {
  runtime: Runtime
  /** resolved keys (server.ts generates development keys when none are configured) */
  apiKeys: string[]
  adminKeys: string[]
  /** keys that may read /metrics and nothing else (a Prometheus scraper's bearer token); admin keys may too */
  metricsKeys?: string[]
  /** how often load is sampled for shedding (tests sample faster) */
  pressureSampleMs?: number
  /** a pino instance (Fastify 5 takes it as loggerInstance) */
  logger?: FastifyBaseLogger
}

/** `/v1/score`, optionally with a query string: the raw URL, before any decoding */
const isScorePath = (url: string | undefined) => url !== undefined && url.startsWith('/v1/score') && (url.length === 9 || url.charCodeAt(9) === 63)

const PUBLIC = new Set(['/healthz', '/readyz', '/openapi.json'])
// src/app.ts and dist/app.js both sit one level below the package
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** The HTTP layer: authentication and load shedding here, routes as plugins by concern. No scoring logic lives here. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: config.bodyLimit,
    // Closing is answered by the hook below, with Retry-After and Connection: close (Fastify's own 503 has neither).
    return503OnClosing: false,
    // A client that sends headers and a byte of body and then stalls holds its connection and a socket;
    // a few hundred of them would exhaust the service during a promotion. Node answers them 408 and closes.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs * 2,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: { headersTimeout: Math.min(config.requestTimeoutMs, 60_000), connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.requestTimeoutMs / 4))) },
    clientErrorHandler,
  })
  const { runtime } = deps
  const keys = new KeyRing(deps.apiKeys)
  const admins = new KeyRing(deps.adminKeys)
  // /metrics names every rule and its hit counts: a scraper needs a metrics key (or an admin key), not a storefront's
  const scrapers = new KeyRing([...deps.metricsKeys ?? [], ...deps.adminKeys])
  const metrics = new Metrics()
  metrics.watchLearning(() => runtime.learning.stats())
  metrics.watchBuild(() => {
    const { rules, model } = runtime.policy.current
    return { version: VERSION, rules_version: rules.version, model_version: model ? `${model.id}@${model.version}` : 'none' }
  })
  runtime.scorer.timeStages(metrics.stage)
  app.addHook('onResponse', async (req, reply) => {
    metrics.request(req.routeOptions.url, req.method, reply.statusCode, reply.elapsedTime / 1000)
  })
  metrics.watchDrift(() => {
    const m = runtime.policy.current.model
    return m?.drift ? { model: `${m.id}@${m.version}`, reading: m.drift.reading() } : undefined
  })

  // JSON only: any other media type is a 415, not a silently-empty body.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0]!
    // a known path with another method is a 405 naming the ones it takes, not a 404
    const allowed = (['GET', 'POST'] as const).filter((method) => app.hasRoute({ method, url }))
    if (allowed.length > 0) return sendError(reply.header('Allow', allowed.join(', ')), 405, 'method_not_allowed', `${req.method} is not allowed on ${url}; use ${allowed.join(' or ')}`)
    return sendError(reply, 404, 'not_found', `no route ${req.method} ${url}`)
  })

  // Past the event-loop budget a queued request would miss any useful deadline anyway: refuse it fast with
  // 503 + Retry-After (the contract's "over capacity") so the storefront applies its own fallback at once.
  if (config.maxEventLoopDelayMs > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: config.maxEventLoopDelayMs,
      sampleInterval: deps.pressureSampleMs ?? 1000,
      pressureHandler: (_req, reply, type, value) => {
        metrics.shed('event_loop')
        reply.header('Retry-After', '1')
        sendError(reply, 503, 'service_unavailable', `over capacity (${type} ${Math.round(Number(value))} ms); retry after 1 s`)
      },
    })
  }

  const doc = openApiDocument(runtime.policy.current.model?.version ?? '0')
  // The document's paths are made from the routes: each carries its operation (`config.openapi`), and the app
  // refuses to start with a route that carries none.
  const operations = collectOperations(doc)
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/docs')) operations.add(r)
  })
  app.addHook('onReady', async () => {
    if (operations.missing.length) throw new Error(`routes without an OpenAPI operation (config.openapi): ${operations.missing.join(', ')}`)
  })
  await app.register(swagger, { mode: 'static', specification: { document: doc as never } })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // Overload shows as requests piling up inside the process, not as a slow event loop: a saturated loop still
  // turns quickly, it just admits work faster than it finishes it, and every request waits behind the others
  // (at 4,000/s on two cores, 0.5-2 s at the median, all answered long after any storefront gave up).
  // Past `maxInFlight` scoring requests, the next one is refused at once, before its body is read, so the
  // storefront falls back while the admitted ones keep their latency. A request takes a place only once its
  // body has arrived: stalled bodies (bounded by REQUEST_TIMEOUT_MS) hold sockets, not scoring capacity, so a
  // few hundred of them cannot refuse everyone. Routes are matched on the router's decoded path, so
  // `/v1/%73core` is counted like `/v1/score`.
  let inFlight = 0
  const isScoring = (req: FastifyRequest) => req.routeOptions.url === '/v1/score'
  const shed = (reply: FastifyReply) => {
    metrics.shed('in_flight')
    reply.header('Retry-After', '1')
    return sendError(reply, 503, 'service_unavailable', `over capacity (${inFlight} scoring requests in flight, limit ${admission.limit} of MAX_IN_FLIGHT=${config.maxInFlight}); retry after 1 s`)
  }

  // Shutdown drains instead of resetting. First, for up to SHUTDOWN_DRAIN_MS (less once no connection is open),
  // the server still reads what arrives on open keep-alive connections and answers it 503 + Retry-After +
  // Connection: close, so each client learns to go elsewhere from an answer rather than a reset; requests
  // already admitted finish normally, and /readyz says "shutting down". Then server.close() stops accepting
  // and waits for what is left, every answer closing its connection.
  let closing = false
  let closed = false
  app.addHook('preClose', async () => {
    closing = true
    const until = Date.now() + config.shutdownDrainMs
    while (Date.now() < until) {
      const open = await new Promise<number>((r) => app.server.getConnections((err, n) => r(err ? 0 : n)))
      if (open === 0) break
      await new Promise((r) => setTimeout(r, 20))
    }
    closed = true
  })
  app.addHook('onSend', async (_req, reply) => {
    if (closed) reply.header('Connection', 'close')
  })

  app.addHook('onRequest', async (req, reply) => {
    if (closing && req.routeOptions.url !== '/readyz') {
      metrics.shed('shutting_down')
      reply.header('Retry-After', '1').header('Connection', 'close')
      return sendError(reply, 503, 'service_unavailable', 'shutting down; retry after 1 s (another instance will answer)')
    }
    const route = req.routeOptions.url
    // an unmatched path is a 404 (or 405) for anyone: it names nothing a key would protect
    if (route === undefined || PUBLIC.has(route) || route.startsWith('/docs')) return
    if (route === '/metrics') {
      if (scrapers.verify(req.headers.authorization)) return
      if (keys.verify(req.headers.authorization)) return sendError(reply, 403, 'forbidden', 'a storefront key cannot read /metrics: it names every rule; use a METRICS_KEYS or ADMIN_KEYS key')
      return sendError(reply.header('WWW-Authenticate', 'Bearer'), 401, 'unauthorized', 'metrics need a METRICS_KEYS or ADMIN_KEYS key; send Authorization: Bearer <key>')
    }
    if (!keys.verify(req.headers.authorization) && !admins.verify(req.headers.authorization)) {
      return sendError(reply.header('WWW-Authenticate', 'Bearer'), 401, 'unauthorized', 'missing or unknown API key; send Authorization: Bearer <key>')
    }
    if (config.maxInFlight > 0 && isScoring(req) && inFlight >= admission.limit) return shed(reply)
  })
  if (config.maxInFlight > 0) {
    app.addHook('preValidation', async (req, reply) => {
      if (!isScoring(req)) return
      if (inFlight >= admission.limit) return shed(reply)
      inFlight++
      const admitted = performance.now()
      reply.raw.once('close', () => {
        inFlight--
        admission.observe(performance.now() - admitted)
      })
    })
  }

  // Refusing fast: the checks above run after Fastify has routed the request and run its hooks, which under
  // overload is work the refusal cannot afford (the refusals then queue behind the admitted requests and
  // arrive seconds late). So a POST to the plain scoring path is refused here, in Node's request event,
  // before Fastify sees it: a pre-built 503 and nothing else, the body left to Node to discard. Anything this
  // cheap check does not recognise (a percent-encoded path, say) still meets the hooks' count above.
  // The in-flight limit adapts to the loop's utilisation (src/http/admission.ts): a fixed limit lets admitted
  // work take the whole loop under overload, and then refusals, too, arrive seconds late.
  const admission = new AdmissionLimit(config.maxInFlight, Math.min(64, config.maxInFlight), config.admissionTargetUtilization)
  if (config.maxInFlight > 0 && config.admissionTargetUtilization < 1) {
    let last = performance.eventLoopUtilization()
    const t = setInterval(() => {
      const now = performance.eventLoopUtilization()
      admission.update(performance.eventLoopUtilization(now, last).utilization)
      last = now
    }, 100)
    t.unref()
    app.addHook('onClose', async () => clearInterval(t))
  }
  metrics.watchAdmission(() => admission.limit)
  if (config.maxInFlight > 0) {
    const body = JSON.stringify({ error: 'service_unavailable', message: 'over capacity (scoring requests in flight at the admission limit, refused on arrival); retry after 1 s' })
    const head = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'retry-after': '1' }
    const handlers = app.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[]
    app.server.removeAllListeners('request')
    app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (inFlight >= admission.limit && req.method === 'POST' && !closing && isScorePath(req.url)) {
        metrics.shed('in_flight')
        res.writeHead(503, head).end(body)
        metrics.request('/v1/score', 'POST', 503, 0)
        return
      }
      for (const h of handlers) h(req, res)
    })
  }

  await app.register(opsRoutes, { runtime, metrics, doc, closing: () => closing })
  await app.register(scoreRoutes, { runtime, metrics })
  await app.register(feedbackRoutes, { runtime })
  await app.register(adminRoutes, { runtime, admins, hasAdmins: deps.adminKeys.length > 0 })

  return app
}
