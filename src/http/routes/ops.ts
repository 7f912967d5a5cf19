import type { FastifyPluginAsync } from 'fastify'
import type { Runtime } from '../../runtime.js'
import type { Metrics } from '../metrics.js'

/** What an orchestrator and a scraper read: liveness, readiness, metrics, the API document. */
export const opsRoutes: FastifyPluginAsync<{ runtime: Runtime; metrics: Metrics; doc: Record<string, unknown>; closing: () => boolean }> = async (app, { runtime, metrics, doc, closing }) => {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const redis = await runtime.store.ping()
    const { rules, model } = runtime.policy.current
    const down = closing()
    const reason = down ? 'shutting down' : redis ? undefined : `velocity store: ${runtime.store.health?.().reason ?? 'the store did not answer a ping within 500 ms'}`
    const ready = redis && !down
    const body = { status: ready ? 'ready' : 'not_ready', store: runtime.store.kind, store_ok: redis, ...(reason ? { reason } : {}), rules_version: rules.version, model: model ? `${model.id}@${model.version}` : null }
    return reply.code(ready ? 200 : 503).send(body)
  })
  app.get('/openapi.json', async () => doc)
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))
}
