import { Redis } from 'ioredis'
import { ScoreRequest } from '../src/events/schemas.js'
import { extractFeatures } from '../src/features/extract.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { DEFAULT_PARAMS, simulate } from '../src/offline/sim/simulate.js'
import { makeHasher } from '../src/util/hash.js'
import { CounterPlan, windowMs } from '../src/velocity/counters.js'
import { RedisStore } from '../src/velocity/redis-store.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'

/**
 * Redis memory for N events of simulated traffic (default 1,000,000), written through the real batch
 * script, plus the TTL bound: no key may live longer than its longest window plus one bucket.
 *   npm run bench:redis-memory [-- EVENTS]
 * Every event is scored at its own simulated time, so all of a 3-day stream's keys are alive at the end.
 */
const target = Number(process.argv[2] ?? 1_000_000)
const redis = await startRedis()
const data = sharedSignalData()
const shipped = loadRuleSet('rules')
const deps = { ...data, ua: new UaAnalyzer(), hash: makeHasher('bench-secret-0123456789'), hostingAsns: shipped.lists.hostingAsns }
const plan = new CounterPlan('bn:', shipped.counters)
const longestWindow = new Map(shipped.counters.map((c) => [c.name, Math.max(...c.windows.map((w) => windowMs(w)!))]))
const store = new RedisStore(redis.url, 5000)
await store.ready()
const admin = new Redis(redis.url)
const baseline = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1])

let done = 0
let seed = 100
const t0 = Date.now()
// scale ~ events per simulated stream; streams of different seeds until the target is reached
while (done < target) {
  const events = simulate(data.asn, { ...DEFAULT_PARAMS, seed: seed++, scale: 4 })
  const chunk: Promise<unknown>[] = []
  for (const e of events) {
    if (done >= target) break
    const { label: _l, sim: _s, occurred_at, ...body } = e
    const req = ScoreRequest.parse(body)
    const { identity, features } = extractFeatures(req, deps)
    const idem = plan.idempotencyKey(deps.hash('event', `${seed}:${req.event_id}`))
    // the batch's clock is the event's time; TTLs in Redis run on its wall clock, so nothing expires mid-bench
    const now = Date.now() - (Date.parse('2026-11-12T00:00:00+08:00') - Date.parse(occurred_at!))
    chunk.push(
      store
        .execute({ now, idempotencyKey: idem, idempotencyTtlMs: 86_400_000, nonce: 'n', ops: plan.plan(req, identity, features).ops, account: req.event === 'registration' ? { key: plan.accountKey(identity), setIfAbsent: `{"t":${now}}`, ttlMs: 90 * 86_400_000 } : undefined })
        .then(() => store.finalize({ idempotencyKey: idem, idempotencyTtlMs: 86_400_000, response: '{"decision":"allow","score":3,"reasons":[],"rules":{"version":"sha256:0000"}}' })),
    )
    done++
    if (chunk.length >= 2000) await Promise.all(chunk.splice(0))
  }
  await Promise.all(chunk)
  process.stderr.write(`${done} events, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`)
}

const mem = await admin.info('memory')
const used = Number(/used_memory:(\d+)/.exec(mem)![1]) - baseline
const keys = await admin.dbsize()
const kinds: Record<string, number> = {}
let maxOverBound = -Infinity
let sampled = 0
let cursor = '0'
do {
  const [next, batch] = await admin.scan(cursor, 'COUNT', 1000)
  cursor = next
  for (const k of batch) {
    // the counter's name after the hash tag (`...}:ip.registrations`), else the tag's entity (`idem`)
    const kind = /\}:([^:]+)/.exec(k)?.[1] ?? /\{([^:}]+)/.exec(k)?.[1] ?? k
    kinds[kind] = (kinds[kind] ?? 0) + 1
  }
  if (sampled < 20_000) {
    const ttls = await Promise.all(batch.map((k) => admin.pttl(k)))
    batch.forEach((k, i) => {
      const ttl = ttls[i]!
      if (ttl < 0) maxOverBound = Infinity
      // a counter's key lives at most its longest window plus one bucket (HyperLogLog slices: window + a sixth)
      const name = /\}:([^:]+)$/.exec(k)?.[1]
      const longest = name ? longestWindow.get(name) : undefined
      if (longest !== undefined) maxOverBound = Math.max(maxOverBound, ttl - (longest * 61) / 60)
    })
    sampled += batch.length
  }
} while (cursor !== '0')
await store.close()
admin.disconnect()
await redis.stop()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${done} events in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
console.log(`redis used_memory +${(used / 2 ** 20).toFixed(1)} MiB for ${keys} keys: ${(used / keys).toFixed(0)} bytes per key, ${(used / done).toFixed(0)} bytes per event`)
console.log(`keys by kind: ${Object.entries(kinds).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`)
console.log(`TTL bound on ${sampled} sampled keys: ${maxOverBound === Infinity ? 'a key WITHOUT a TTL was found' : `every windowed key expires within its window plus one bucket (max margin ${maxOverBound.toFixed(0)} ms)`}`)
console.log(`written to ${writeResult('redis-memory', { events: done, keys, used_bytes: used, bytes_per_key: used / keys, bytes_per_event: used / done, kinds })}`)
process.exit(0)
