import { combine } from '../src/scoring/combine.js'
import { evaluateRules } from '../src/rules/evaluate.js'
import { redactInput } from '../src/scoring/decision-log.js'
import { ScoreRequest } from '../src/events/schemas.js'
import { extractFeatures } from '../src/features/extract.js'
import { Model, vectorize } from '../src/model/model.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { makeHasher } from '../src/util/hash.js'
import { CounterPlan } from '../src/velocity/counters.js'
import { MemoryStore } from '../src/velocity/memory-store.js'
import { RedisStore } from '../src/velocity/redis-store.js'
import type { VelocityStore } from '../src/velocity/store.js'
import { readCorpus } from '../loadtest/corpus.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'

/**
 * Where one event's CPU goes, stage by stage: the scoring pipeline's parts called one event at a time on
 * the load corpus, each event through every stage before the next (so each stage meets the caches the
 * others left, as in the service), against the memory store and a real redis-server. A stage that awaits
 * counts only the CPU it used, not the wait. HTTP is not included: the service bench minus this is HTTP.
 *   npm run bench:stages [-- N]
 */
const N = Number(process.argv[2] ?? 10_000)
const rules = loadRuleSet('rules')
const shared = sharedSignalData()
const deps = { ...shared, ua: new UaAnalyzer(), hash: makeHasher('stages-0123456789abcdef', { cacheSize: 50_000, uncached: ['event'] }), hostingAsns: rules.lists.hostingAsns }
const plan = new CounterPlan('bn:', rules.counters)
const model = await Model.load('models/risk-gbt', rules.catalog)
const raw = readCorpus('mixed').slice(0, N)
const redis = await startRedis()
const cpu = () => {
  const c = process.cpuUsage()
  return c.user + c.system
}

async function stages(store: VelocityStore, tag: string): Promise<Record<string, number>> {
  const acc: Record<string, number> = {}
  // round 0 warms the JIT and the caches; rounds 1 and 2 are measured
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < raw.length; i++) {
      let t = cpu()
      const mark = (k: string) => {
        const n = cpu()
        if (round > 0) acc[k] = (acc[k] ?? 0) + n - t
        t = n
      }
      const body = JSON.parse(raw[i]!) as { event_id: string }
      body.event_id += `-${tag}${round}`
      const e = ScoreRequest.parse(body)
      mark('parse (JSON + zod)')
      const x = extractFeatures(e, deps)
      mark('features')
      const p = plan.plan(e, x.identity, x.features)
      mark('counter plan')
      const idem = plan.idempotencyKey(deps.hash('event', e.event_id))
      const r = await store.execute({ now: Date.now(), idempotencyKey: idem, idempotencyTtlMs: 600_000, nonce: 'n', ops: p.ops })
      if (r.status === 'fresh') for (let j = 0; j < p.features.length; j++) x.features[p.features[j]!] = r.values[j]!
      mark('velocity call')
      const vec = vectorize(model.card.features, x.features)
      const prob = await model.predict(vec)
      x.features['model.score'] = prob
      mark('model (batch of one)')
      const o = evaluateRules(rules, e.event, x.features)
      mark('rules')
      const c = combine(prob, o, x.features, model.card.thresholds, () => model.explain(vec))
      mark('combine + explanations')
      const response = { event_id: e.event_id, event: e.event, decision: c.decision, score: c.score, reasons: c.reasons, model: { id: model.id, version: model.version, score: prob }, rules: { version: rules.version, matched: o.matched.map((m) => m.id), shadow_matched: o.shadow.map((m) => m.id) }, degraded: [], replayed: false, latency_ms: 0, decision_id: 'dec_bench' }
      const stored = JSON.stringify(response)
      redactInput(e, x.features)
      mark('response + log input')
      await store.finalize({ idempotencyKey: idem, idempotencyTtlMs: 600_000, response: stored, urgent: true })
      mark('write-back')
    }
  }
  return Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, Math.round((v / (2 * raw.length)) * 10) / 10]))
}

const out: Record<string, Record<string, number>> = {}
out.memory = await stages(new MemoryStore(), `m${Date.now().toString(36)}`)
const rs = new RedisStore(redis.url, 2000)
await rs.ready()
out.redis = await stages(rs, `r${Date.now().toString(36)}`)
await rs.close()
await redis.stop()

const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${raw.length} events, CPU µs per event (one at a time; Redis's own CPU not included)`)
console.log(`${'stage'.padEnd(26)} ${'memory'.padStart(8)} ${'redis'.padStart(8)}`)
for (const k of Object.keys(out.memory)) console.log(`${k.padEnd(26)} ${String(out.memory[k]).padStart(8)} ${String(out.redis![k]).padStart(8)}`)
const total = (o: Record<string, number>) => Math.round(Object.values(o).reduce((s, v) => s + v, 0) * 10) / 10
console.log(`${'total'.padEnd(26)} ${String(total(out.memory)).padStart(8)} ${String(total(out.redis!)).padStart(8)}`)
console.log(`written to ${writeResult('stages', { events: raw.length, cpu_us_per_event: out })}`)
process.exit(0)
