import { ScoreRequest } from '../src/events/schemas.js'
import { Model } from '../src/model/model.js'
import { compilePolicy } from '../src/policy/policy.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { decide } from '../src/scoring/stages/decide.js'
import { derive } from '../src/scoring/stages/derive.js'
import { extract } from '../src/scoring/stages/extract.js'
import { model } from '../src/scoring/stages/model.js'
import { persist } from '../src/scoring/stages/persist.js'
import { record } from '../src/scoring/stages/record.js'
import { rules } from '../src/scoring/stages/rules.js'
import { velocity } from '../src/scoring/stages/velocity.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { makeHasher } from '../src/util/hash.js'
import { MemoryStore } from '../src/velocity/memory-store.js'
import { RedisStore } from '../src/velocity/redis-store.js'
import type { VelocityStore } from '../src/velocity/store.js'
import { readCorpus } from '../loadtest/corpus.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'

/**
 * Where one event's CPU goes, stage by stage: the scorer's own stages (src/scoring/stages) called one event at a time on
 * the load corpus, each event through every stage before the next (so each stage meets the caches the
 * others left, as in the service), against the memory store and a real redis-server. A stage that awaits
 * counts only the CPU it used, not the wait. HTTP is not included: the service bench minus this is HTTP.
 *   npm run bench:stages [-- N]
 */
const N = Number(process.argv[2] ?? 10_000)
const set = loadRuleSet('rules')
const shared = sharedSignalData()
const hash = makeHasher('stages-0123456789abcdef', { cacheSize: 50_000, uncached: ['event', 'req'] })
const shipped = await Model.load('models/risk-gbt', set.catalog)
const policy = compilePolicy({ rules: set, model: shipped }, { keyPrefix: 'bn:', signals: { ...shared, ua: new UaAnalyzer(), hash } })
const raw = readCorpus('mixed').slice(0, N)
const redis = await startRedis()
const cpu = () => {
  const c = process.cpuUsage()
  return c.user + c.system
}

async function stages(store: VelocityStore, tag: string): Promise<Record<string, number>> {
  const acc: Record<string, number> = {}
  const opts = { idempotencyTtlMs: 600_000, nonce: 'n' }
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
      const ev = extract(e, policy, Date.now(), hash)
      mark('extract')
      const v = await velocity(ev, store, opts)
      mark('velocity (plan + call)')
      const memo = derive(ev, v)
      mark('derive')
      const m = await model(ev)
      mark('model (batch of one)')
      const o = rules(ev)
      mark('rules')
      const { response } = await decide(ev, m, o, { decisionId: 'dec_bench', degradedFloor: 'allow', challenger: false })
      mark('decide (+ explanations)')
      await persist(ev, response, memo, store, { idempotencyTtlMs: 600_000, urgent: true })
      mark('persist')
      record(ev, response, () => {})
      mark('record (log line)')
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
