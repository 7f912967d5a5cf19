import { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { ScoreRequest } from '../src/events/schemas.js'
import { extractFeatures } from '../src/features/extract.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { DEFAULT_PARAMS, simulate } from '../src/offline/sim/simulate.js'
import { makeHasher } from '../src/util/hash.js'
import { CounterPlan, KEY_VERSION } from '../src/velocity/counters.js'
import { RedisStore, parseClusterNodes } from '../src/velocity/redis-store.js'
import { hashTag, type Batch, type CounterOp } from '../src/velocity/store.js'
import { startRedis, startRedisCluster } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'
import { writesDuring } from './socket-writes.js'
import { openLoop, percentiles } from './open-loop.js'

/**
 * The velocity stage alone against a real redis-server (started here), open loop at a fixed rate:
 * Bouncer's claim and per-entity scripts, pipelined (single node, then a 3-master cluster), then rate-limiter-flexible keeping the same count counters
 * (one call per counter; it has no distinct counts and its windows are fixed, not sliding).
 *   npm run bench:velocity [-- RATE SECONDS]
 */
const rate = Number(process.argv[2] ?? 2000)
const seconds = Number(process.argv[3] ?? 10)
const redis = await startRedis()
const data = sharedSignalData()
const hash = makeHasher('bench-secret-0123456789')
const shipped = loadRuleSet('rules')
const deps = { ...data, ua: new UaAnalyzer(), hash, hostingAsns: shipped.lists.hostingAsns }
const plan = new CounterPlan('bn:', shipped.counters)
const events = simulate(data.asn, { ...DEFAULT_PARAMS, seed: 21, scale: 0.6 }).map((e) => {
  const { label: _l, sim: _s, occurred_at: _o, ...body } = e
  const req = ScoreRequest.parse(body)
  const x = extractFeatures(req, deps)
  return { req, ops: plan.plan(req, x.identity, x.features).ops }
})
const opsPerEvent = events.reduce((s, e) => s + e.ops.length, 0) / events.length
const countOpsPerEvent = events.reduce((s, e) => s + e.ops.reduce((n, o) => n + (o.kind === "count" ? o.windowsMs.length : 0), 0), 0) / events.length

const run = async (fn: (k: number) => Promise<unknown>) => {
  const r = await openLoop(rate, seconds, fn)
  const lag = percentiles(r.lag)
  return { ...percentiles(r.latencies), errors: r.errors, sender_lag_p50: lag.p50, sender_lag_p99: lag.p99 }
}

/** Counts the commands a client sends (each is one request to Redis; none here are pipelined by hand). */
function countSent(client: Redis): { n: number } {
  const counter = { n: 0 }
  const send = client.sendCommand.bind(client)
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    counter.n++
    return send(...args)
  }) as Redis['sendCommand']
  return counter
}


// Bouncer: the claim plus one script call per entity (hash tag), all in one tick, then the write-back.
const store = new RedisStore(redis.url, 1000)
await store.ready()
const client = store.client as Redis
const admin = new Redis(redis.url)
const idem = (k: number) => `bn:${KEY_VERSION}:{idem:b${k}}`
const batch = (k: number): Batch => ({ now: Date.now(), idempotencyKey: idem(k), idempotencyTtlMs: 60_000, nonce: `n${k}`, ops: events[k % events.length]!.ops })
// Round trips on the critical path, one event at a time so that no other event shares a write.
let tripWrites = 0
const TRIPS = 300
for (let k = 0; k < TRIPS; k++) tripWrites += await writesDuring(client, () => store.execute(batch(1e9 + k)))
const roundTrips = tripWrites / TRIPS
await admin.flushall()
const ourSent = countSent(client)
const ours = await run(async (k) => {
  await store.execute(batch(k))
  store.finalize({ idempotencyKey: idem(k), idempotencyTtlMs: 60_000, response: '{}' }).catch(() => undefined)
})
await new Promise((r) => setTimeout(r, 200))
const oursCalls = ourSent.n / (rate * seconds)
await admin.flushall()

// The same stage against a local 3-master Redis Cluster (all on this machine's cores).
const cluster = await startRedisCluster(3)
const cstore = new RedisStore({ cluster: parseClusterNodes(cluster.nodes) }, 1000)
await cstore.ready()
const onCluster = await run(async (k) => {
  await cstore.execute(batch(k))
  cstore.finalize({ idempotencyKey: idem(k), idempotencyTtlMs: 60_000, response: '{}' }).catch(() => undefined)
})
await new Promise((r) => setTimeout(r, 200))
await cstore.close()
await cluster.stop()

// rate-limiter-flexible: one limiter per (counter, window), one consume per count op.
const rlClient = new Redis(redis.url, { enableOfflineQueue: false })
await new Promise((r) => rlClient.once('ready', r))
const limiters = new Map<string, RateLimiterRedis>()
const limiterFor = (windowMs: number) => {
  const id = `${windowMs}`
  let l = limiters.get(id)
  if (!l) limiters.set(id, (l = new RateLimiterRedis({ storeClient: rlClient, points: 1e9, duration: windowMs / 1000, keyPrefix: `rl${id}` })))
  return l
}
const theirSent = countSent(rlClient)
const theirs = await run(async (k) => {
  const ops = events[k % events.length]!.ops.filter((o): o is CounterOp & { kind: 'count' } => o.kind === 'count')
  await Promise.all(ops.flatMap((op) => op.windowsMs.map((w) => limiterFor(w).consume(`${op.key}:${w}`, op.add))))
})
const theirCalls = theirSent.n / (rate * seconds)

await store.close()
rlClient.disconnect()
admin.disconnect()
await redis.stop()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${rate} events/s for ${seconds}s; ${opsPerEvent.toFixed(1)} counter ops per event (${countOpsPerEvent.toFixed(1)} counts)`)
const tags = events.reduce((s, e) => s + new Set(e.ops.map((o) => hashTag(o.key))).size, 0) / events.length
console.log(`bouncer, single node               p50 ${ours.p50} ms  p99 ${ours.p99} ms  max ${ours.max} ms  errors ${ours.errors}  round trips per event ${roundTrips.toFixed(2)}  commands per event ${oursCalls.toFixed(2)} (one script before the decision, the write-back after it; a cluster sends the claim + ${tags.toFixed(1)} entity scripts)`)
console.log(`bouncer, 3-master cluster          p50 ${onCluster.p50} ms  p99 ${onCluster.p99} ms  max ${onCluster.max} ms  errors ${onCluster.errors}`)
console.log(`(latency runs from each event's due time; the sender's own lateness, included: p50 ${ours.sender_lag_p50} / p99 ${ours.sender_lag_p99} ms)`)
console.log(`rate-limiter-flexible (count only)  p50 ${theirs.p50} ms  p99 ${theirs.p99} ms  max ${theirs.max} ms  errors ${theirs.errors}  commands sent per event ${theirCalls.toFixed(2)}`)
console.log(`written to ${writeResult('velocity', { rate, seconds, ops_per_event: opsPerEvent, bouncer: { ...ours, round_trips_per_event: roundTrips, redis_commands_per_event: oursCalls, entity_scripts_per_event: tags }, bouncer_cluster: onCluster, rate_limiter_flexible: { ...theirs, redis_commands_per_event: theirCalls } })}`)
process.exit(0)
