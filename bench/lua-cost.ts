import { Redis } from 'ioredis'
import { ScoreRequest } from '../src/events/schemas.js'
import { extractFeatures } from '../src/features/extract.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { makeHasher } from '../src/util/hash.js'
import { CounterPlan } from '../src/velocity/counters.js'
import { RedisStore } from '../src/velocity/redis-store.js'
import { readCorpus } from '../loadtest/corpus.js'
import { startRedis } from '../test/setup/redis-server.js'
import { commandStats } from './commandstats.js'
import { machine, writeResult } from './machine.js'

/**
 * What one event's velocity call costs inside Redis: the load corpus through RedisStore one event at a time
 * against an otherwise idle redis-server, then INFO commandstats (EVALSHA µs per call, and the commands the
 * script ran). The difference between the two is the Lua interpreter and its bridge into Redis.
 *   npm run bench:lua [-- EVENTS]
 */
const n = Number(process.argv[2] ?? 5000)
const rules = loadRuleSet('rules')
const deps = { ...sharedSignalData(), ua: new UaAnalyzer(), hash: makeHasher('lua-cost-0123456789abcdef'), hostingAsns: rules.lists.hostingAsns }
const plan = new CounterPlan('bn:', rules.counters)
const corpus = readCorpus('mixed').slice(0, n).map((l) => ScoreRequest.parse(JSON.parse(l)))
const redis = await startRedis()
const store = new RedisStore(redis.url, 5000)
await store.ready()
const admin = new Redis(redis.url)
await admin.config('RESETSTAT')
let ops = 0
const t0 = Date.parse('2026-12-01T00:00:00Z')
for (let i = 0; i < corpus.length; i++) {
  const e = corpus[i]!
  const x = extractFeatures(e, deps)
  const p = plan.plan(e, x.identity, x.features)
  ops += p.ops.length
  await store.execute({ now: t0 + i * 50, idempotencyKey: plan.idempotencyKey(`e${i}`), idempotencyTtlMs: 86_400_000, nonce: 'n', ops: p.ops, account: e.event === 'login' ? undefined : { key: plan.accountKey(x.identity), setIfAbsent: '', ttlMs: 86_400_000 } })
}
const rows = await commandStats(admin)
const evalsha = rows.find((r) => r.cmd === 'evalsha')!
const inner = rows.filter((r) => r.cmd !== 'evalsha')
const innerUsec = inner.reduce((s, r) => s + r.usec, 0)
const innerCalls = inner.reduce((s, r) => s + r.calls, 0)
const out = {
  events: corpus.length,
  ops_per_event: ops / corpus.length,
  evalsha_us_per_event: evalsha.usec / evalsha.calls,
  redis_calls_per_event: innerCalls / evalsha.calls,
  commands_us_per_event: innerUsec / evalsha.calls,
}
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${out.events} events, ${out.ops_per_event.toFixed(1)} counter ops each`)
console.log(`EVALSHA ${out.evalsha_us_per_event.toFixed(1)} µs per event inside Redis; the ${out.redis_calls_per_event.toFixed(1)} calls it makes take ${out.commands_us_per_event.toFixed(1)} µs of that`)
for (const r of inner.sort((a, b) => b.calls - a.calls)) console.log(`  ${r.cmd.padEnd(18)} ${(r.calls / evalsha.calls).toFixed(2)} per event, ${(r.usec / r.calls).toFixed(2)} µs each`)
console.log(`written to ${writeResult('lua-cost', out)}`)
admin.disconnect()
await store.close()
await redis.stop()
