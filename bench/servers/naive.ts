import { Environment } from '@marcbachmann/cel-js'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { combine, DEFAULT_THRESHOLDS } from '../../src/scoring/combine.js'
import { celContext, evaluateRules, type RuleOutcome } from '../../src/rules/evaluate.js'
import { ScoreRequest } from '../../src/events/schemas.js'
import { extractFeatures } from '../../src/features/extract.js'
import { Model, vectorize } from '../../src/model/model.js'
import { loadRuleSet, type CompiledRule } from '../../src/rules/ruleset.js'
import { sharedSignalData } from '../../src/signals/shared-data.js'
import { UaAnalyzer } from '../../src/signals/useragent.js'
import { makeHasher } from '../../src/util/hash.js'
import { CounterPlan } from '../../src/velocity/counters.js'
import { RedisStore } from '../../src/velocity/redis-store.js'

/**
 * Baseline (b): scoring written the straightforward way, to show what each of Bouncer's choices gains.
 * Same rules, model, features and response; but one awaited Redis command at a time per counter (fixed
 * windows with INCR/EXPIRE, SADD/SCARD sets, GET/SET for idempotency), one ONNX call per request, rules
 * evaluated by the CEL interpreter on a nested map each time, and the response serialised without a schema.
 *
 * NAIVE_FIX (comma-separated) swaps single parts for Bouncer's, so one run shows what each one gains:
 *   velocity  one Lua call per event with the idempotency claim (RedisStore) instead of awaited commands
 *   model     predictions micro-batched across concurrent requests instead of one onnxruntime run each
 *   rules     rules compiled to JavaScript instead of interpreted
 */
const FIX = new Set((process.env.NAIVE_FIX ?? '').split(',').filter(Boolean))
const rules = loadRuleSet('rules')
const model = await Model.load('models/risk-gbt', rules.catalog)
const data = sharedSignalData()
const hash = makeHasher('naive-bench-secret-0123')
const deps = { ...data, ua: new UaAnalyzer(), hash, hostingAsns: rules.lists.hostingAsns }
// each variant its own key space: the plain one keeps sets and strings where the store keeps sorted sets and hashes
const plan = new CounterPlan(FIX.has('velocity') ? 'nvb:' : 'nv:', rules.counters)
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const store = FIX.has('velocity') ? new RedisStore(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 1000) : null
await store?.ready()
const env = new Environment()
for (const ns of rules.catalog.namespaces) env.registerVariable(ns, 'map')
const interpreted = rules.rules.map((r) => ({ rule: r, eval: env.parse(r.when) as (ctx: unknown) => unknown }))

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 })
app.post('/v1/score', async (req, reply) => {
  const parsed = ScoreRequest.safeParse(req.body)
  if (!parsed.success) return reply.code(400).send({ error: 'invalid_request' })
  const e = parsed.data
  const now = Date.now()
  const idem = `nv:idem:${hash('event', e.event_id)}`
  const { features, identity } = extractFeatures(e, deps)
  const planned = plan.plan(e, identity, features)
  let values: number[] = []
  if (store) {
    const r = await store.execute({ now, idempotencyKey: plan.idempotencyKey(hash('event', e.event_id)), idempotencyTtlMs: 86_400_000, nonce: e.event_id, ops: planned.ops })
    if (r.status !== 'fresh') return reply.code(409).send({ error: 'conflict' })
    values = r.values
  } else {
    const prior = await redis.get(idem)
    if (prior) return { ...JSON.parse(prior), replayed: true }
  }
  for (const op of store ? [] : planned.ops) {
    if (op.kind === 'count') {
      for (const windowMs of op.windowsMs) {
        const k = `${op.key}:${windowMs}:${Math.floor(now / windowMs)}`
        if (op.add > 0) {
          await redis.incrby(k, op.add)
          await redis.pexpire(k, windowMs)
        }
        values.push(Number((await redis.get(k)) ?? 0))
      }
    } else {
      if (op.member !== '') {
        await redis.sadd(op.key, op.member)
        await redis.pexpire(op.key, Math.max(...op.windowsMs))
      }
      const n = await redis.scard(op.key)
      for (let w = 0; w < op.windowsMs.length; w++) values.push(n)
    }
  }
  planned.features.forEach((f, i) => (features[f] = values[i]!))
  const vec = vectorize(model.card.features, features)
  const probability = FIX.has('model') ? await model.predict(vec) : (await model.predictBatch(vec, 1))[0]!
  features['model.score'] = probability
  const outcome: RuleOutcome = FIX.has('rules') ? evaluateRules(rules, e.event, features) : { matched: [], shadow: [] }
  const ctx = FIX.has('rules') ? {} : celContext(features, rules.catalog)
  for (const r of FIX.has('rules') ? [] : interpreted) {
    if (!r.rule.events.includes(e.event)) continue
    let hit: boolean
    try {
      hit = r.eval(ctx) === true
    } catch {
      hit = false
    }
    if (hit) (r.rule.mode === 'shadow' ? outcome.shadow : outcome.matched).push(r.rule as CompiledRule)
  }
  const c = combine(probability, outcome, features, model.card.thresholds ?? DEFAULT_THRESHOLDS)
  const response = {
    event_id: e.event_id,
    event: e.event,
    decision: c.decision,
    score: c.score,
    reasons: c.reasons,
    model: { id: model.id, version: model.version, score: Math.round(probability * 1e4) / 1e4 },
    rules: { version: rules.version, matched: outcome.matched.map((r) => r.id), shadow_matched: outcome.shadow.map((r) => r.id) },
    degraded: [],
    replayed: false,
    latency_ms: 0,
    decision_id: `dec_${now}`,
  }
  if (store) await store.finalize({ idempotencyKey: plan.idempotencyKey(hash('event', e.event_id)), idempotencyTtlMs: 86_400_000, response: JSON.stringify(response) })
  else await redis.set(idem, JSON.stringify(response), 'PX', 86_400_000)
  return response
})
app.get('/readyz', async () => ({ ready: true }))
await app.listen({ port: Number(process.env.PORT ?? 3991), host: '127.0.0.1' })
