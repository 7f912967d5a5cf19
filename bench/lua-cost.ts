import { Redis } from 'ioredis'
import { ScoreRequest } from '../src/events/schemas.js'
import { extractFeatures } from '../src/features/extract.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { makeHasher } from '../src/util/hash.js'
import { CounterPlan } from '../src/velocity/counters.js'
import { RedisStore, SCRIPTS } from '../src/velocity/redis-store.js'
import { readCorpus } from '../loadtest/corpus.js'
import { startRedis } from '../test/setup/redis-server.js'
import { commandStats, evalStats } from './commandstats.js'
import { machine, writeResult } from './machine.js'

/**
 * What one event's velocity call costs inside Redis: the load corpus through RedisStore one event at a time
 * against an otherwise idle redis-server, then INFO commandstats (EVALSHA µs per call, and the commands the
 * script ran). The difference between the two is the Lua interpreter and its bridge into Redis.
 * Then the floor of this key layout: the same events' calls to a stub that only walks its arguments and returns
 * zeros (what receiving ~20 keys and ~150 arguments costs), plus the commands the real script ran, plus one
 * bridge crossing (redis.call, measured here) per command. No script logic at all could cost less than that.
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
const t0 = Date.parse('2026-12-01T00:00:00Z')
const events = corpus.map((e) => {
  const x = extractFeatures(e, deps)
  return { e, x, p: plan.plan(e, x.identity, x.features) }
})
const ops = events.reduce((s, ev) => s + ev.p.ops.length, 0)
async function run(s: RedisStore): Promise<void> {
  for (let i = 0; i < events.length; i++) {
    const { e, x, p } = events[i]!
    await s.execute({ now: t0 + i * 50, idempotencyKey: plan.idempotencyKey(`e${i}`), idempotencyTtlMs: 86_400_000, nonce: 'n', ops: p.ops, account: e.event === 'login' ? undefined : { key: plan.accountKey(x.identity), setIfAbsent: '', ttlMs: 86_400_000 } })
  }
}
await run(store)
const rows = await commandStats(admin)
const evalsha = rows.find((r) => r.cmd === 'evalsha')!
const inner = rows.filter((r) => r.cmd !== 'evalsha')
const innerUsec = inner.reduce((s, r) => s + r.usec, 0)
const innerCalls = inner.reduce((s, r) => s + r.calls, 0)

// The floor. A stub under the counters script's name (the store takes the script text when it is built):
// every call keeps its keys and arguments, and the reply keeps its shape, zeros for every window.
const STUB = `local opCount = tonumber(ARGV[2])
local out = {0, false}
local a = 9
for i = 1, opCount do
  if ARGV[a] == 'c' then
    local n = tonumber(ARGV[a + 2])
    for w = 1, n do out[#out + 1] = 0 end
    a = a + 6 + n
  else
    local n = tonumber(ARGV[a + 3])
    for w = 1, n do out[#out + 1] = 0 end
    a = a + 5 + 2 * n
  end
end
return out`
const real = SCRIPTS.bouncerCounters
;(SCRIPTS as { bouncerCounters: string }).bouncerCounters = STUB
const stubStore = new RedisStore(redis.url, 5000)
;(SCRIPTS as { bouncerCounters: string }).bouncerCounters = real
await stubStore.ready()
await admin.flushall()
await admin.config('RESETSTAT')
await run(stubStore)
const stub = (await commandStats(admin)).find((r) => r.cmd === 'evalsha')!
// one crossing of the bridge: N redis.call('EXISTS') in one EVAL, less an empty loop and EXISTS's own time
// (commandStats leaves PING out, as the admin connection's own)
const N = 20000
const calls = await evalStats(admin, `for i = 1, ${N} do redis.call('EXISTS', 'absent') end return 1`)
const empty = await evalStats(admin, `local x = 0 for i = 1, ${N} do x = i end return 1`)
const bridgeUs = (calls.get('eval')! - calls.get('exists')! - empty.get('eval')!) / N
const out = {
  events: corpus.length,
  ops_per_event: ops / corpus.length,
  evalsha_us_per_event: evalsha.usec / evalsha.calls,
  redis_calls_per_event: innerCalls / evalsha.calls,
  commands_us_per_event: innerUsec / evalsha.calls,
  stub_evalsha_us_per_event: stub.usec / stub.calls,
  bridge_us_per_call: bridgeUs,
  floor_us_per_event: stub.usec / stub.calls + innerUsec / evalsha.calls + (bridgeUs * innerCalls) / evalsha.calls,
}
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${out.events} events, ${out.ops_per_event.toFixed(1)} counter ops each`)
console.log(`EVALSHA ${out.evalsha_us_per_event.toFixed(1)} µs per event inside Redis; the ${out.redis_calls_per_event.toFixed(1)} calls it makes take ${out.commands_us_per_event.toFixed(1)} µs of that`)
for (const r of inner.sort((a, b) => b.calls - a.calls)) console.log(`  ${r.cmd.padEnd(18)} ${(r.calls / evalsha.calls).toFixed(2)} per event, ${(r.usec / r.calls).toFixed(2)} µs each`)
console.log(`the floor of this layout, ${out.floor_us_per_event.toFixed(1)} µs per event: the call with its keys and arguments to a stub that returns zeros ${out.stub_evalsha_us_per_event.toFixed(1)} µs + the commands ${out.commands_us_per_event.toFixed(1)} µs + ${out.redis_calls_per_event.toFixed(1)} bridge crossings at ${out.bridge_us_per_call.toFixed(3)} µs; the script's own logic is the other ${(out.evalsha_us_per_event - out.floor_us_per_event).toFixed(1)} µs`)
console.log(`written to ${writeResult('lua-cost', out)}`)
admin.disconnect()
await store.close()
await stubStore.close()
await redis.stop()
