import type { FastifyPluginAsync } from 'fastify'
import type { Runtime } from '../../runtime.js'
import type { Metrics } from '../metrics.js'
import { err } from '../openapi.js'

/** What an orchestrator and a scraper read: liveness, readiness, metrics, the API document. */
export const opsRoutes: FastifyPluginAsync<{ runtime: Runtime; metrics: Metrics; doc: Record<string, unknown>; closing: () => boolean }> = async (app, { runtime, metrics, doc, closing }) => {
  app.get('/healthz', { config: { openapi: { security: [], summary: 'The process is alive', responses: { '200': { description: 'ok' } } } } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { config: { openapi: { security: [], summary: 'Rules and model loaded; Redis answers when configured; not shutting down', responses: { '200': { description: 'ready' }, '503': err('not ready, with the reason') } } } }, async (_req, reply) => {
    const redis = await runtime.store.ping()
    const { rules, model } = runtime.policy.current
    const down = closing()
    const reason = down ? 'shutting down' : redis ? undefined : `velocity store: ${runtime.store.health?.().reason ?? 'the store did not answer a ping within 500 ms'}`
    const ready = redis && !down
    const body = { status: ready ? 'ready' : 'not_ready', store: runtime.store.kind, store_ok: redis, ...(reason ? { reason } : {}), rules_version: rules.version, model: model ? `${model.id}@${model.version}` : null }
    return reply.code(ready ? 200 : 503).send(body)
  })
  app.get('/openapi.json', { config: { openapi: { security: [], summary: 'This document, made from the routes', responses: { '200': { description: 'OpenAPI 3.0 document' } } } } }, async () => doc)
  app.get('/metrics', { config: { openapi: { summary: 'Prometheus metrics (a METRICS_KEYS or ADMIN_KEYS bearer key): requests by route and status, decisions, rule hits (shadow apart), score, stage and request durations, shed requests by reason, the admission limit, decision records written/dropped/queued, model drift, build info', responses: { '200': { description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } }, '401': err('unauthorized'), '403': err('forbidden') } } } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()))
}
