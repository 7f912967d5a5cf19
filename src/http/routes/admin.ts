import type { FastifyPluginAsync } from 'fastify'
import type { Runtime } from '../../runtime.js'
import type { KeyRing } from '../auth.js'
import { sendError } from '../errors.js'
import { err } from '../openapi.js'

/** The policy in force (rules, model) and its reloads: all of it needs an admin key. */
export const adminRoutes: FastifyPluginAsync<{ runtime: Runtime; admins: KeyRing; hasAdmins: boolean }> = async (app, { runtime, admins, hasAdmins }) => {
  const { policy } = runtime
  const isAdmin = (authorization: string | undefined) => hasAdmins && admins.verify(authorization)

  // Rule ids, modes and thresholds tell an attacker what to stay under: storefront keys do not see them.
  app.addHook('onRequest', async (req, reply) => {
    if (!isAdmin(req.headers.authorization)) return sendError(reply, 403, 'forbidden', `${req.method} ${req.url.split('?')[0]} needs an admin key (ADMIN_KEYS)`)
  })

  app.get('/v1/rules', { config: { openapi: { summary: 'The rule set in force (admin key): rules with their ids, modes, files and lines, lists, the last reload error', responses: { '200': { description: 'rules' }, '403': err('forbidden') } } } }, async () => {
    const set = policy.current.rules
    return {
      version: set.version,
      loaded_at: set.loadedAt,
      rules: set.rules.map((r) => ({ id: r.id, event: r.events, action: r.action, mode: r.mode, code: r.code, description: r.description, owner: r.owner ?? null, score: r.score ?? 0, file: r.file, line: r.line, compiled: r.compiled })),
      lists: [...set.lists.named.values()].map((l) => ({ name: l.name, kind: l.kind, entries: l.size })),
      last_error: policy.rulesError,
    }
  })

  app.get('/v1/model', { config: { openapi: { summary: 'The model in force (admin key): id, version, kind, sha256, feature count, thresholds, challenger, last reload error', responses: { '200': { description: 'model' }, '403': err('forbidden') } } } }, async () => {
    const { model: m, challenger } = policy.current
    return {
      id: m?.id ?? null,
      version: m?.version ?? null,
      kind: m?.card.kind ?? null,
      sha256: m?.card.onnx.sha256 ?? null,
      features: m?.card.features.length ?? 0,
      explanations: m?.explanations ?? null,
      thresholds: policy.current.thresholds,
      loaded_at: policy.modelLoadedAt,
      challenger: challenger ? { id: challenger.id, version: challenger.version } : null,
      last_error: policy.modelError,
    }
  })

  app.post('/v1/model/reload', { config: { openapi: { summary: 'Reload the model from disk (admin key); the last good model keeps serving if the candidate is invalid', responses: { '200': { description: 'reloaded or unchanged' }, '422': err('model_invalid'), '403': err('forbidden') } } } }, async (_req, reply) => {
    const r = await policy.reloadModel()
    if (!r.ok) return reply.code(422).send({ error: 'model_invalid', message: 'the candidate model is invalid; the last good model keeps serving', detail: r.error, version: policy.current.model?.version ?? null })
    return { status: r.changed ? 'reloaded' : 'unchanged', version: r.version }
  })

  app.post('/v1/rules/reload', { config: { openapi: { summary: 'Reload rules from disk (admin key); the answer lists rule files that were removed', responses: { '200': { description: 'reloaded or unchanged' }, '422': err('rules_invalid'), '403': err('forbidden') } } } }, async (_req, reply) => {
    const r = policy.reloadRules()
    if (!r.ok) return reply.code(422).send({ error: 'rules_invalid', message: 'the candidate rule set is invalid; the last good set keeps serving', errors: r.errors, version: policy.current.rules.version })
    return { status: r.changed ? 'reloaded' : 'unchanged', version: r.version, ...(r.removed.length ? { removed: r.removed } : {}) }
  })
}
