import { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { ScoreRequest } from '../src/events/schemas.js'
import { extractFeatures } from '../src/features/extract.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { sharedSignalData } from '../src/runtime.js'
import { UaAnalyzer } from '../src/signals/useragent.js'
import { DEFAULT_PARAMS, simulate } from '../src/sim/simulate.js'
import { makeHasher } from '../src/util/hash.js'
import { CounterPlan } from '../src/velocity/counters.js'
import { RedisStore } from '../src/velocity/redis-store.js'
import type { Batch, CounterOp } from '../src/velocity/store.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'
import { openLoop, percentiles } from './open-loop.js'

/**
 * The velocity stage alone against a real redis-server (started here), open loop at a fixed rate:
 * Bouncer's one batched script per event, then rate-limiter-flexible keeping the same count counters
 * (one call per counter; it has no distinct counts and its windows are fixed, not sliding).
 *   npm run bench:velocity [-- RATE SECONDS]
 */
const rate = Number(process.argv[2] ?? 2000)
const seconds = Number(process.argv[3] ?? 10)
const redis = await startRedis()
const data = sharedSignalData()
const hash = makeHasher('bench-secret-0123456789')
const deps = { ...data, ua: new UaAnalyzer(), hash, hostingAsns: loadRuleSet('rules').lists.hostingAsns }
const plan = new CounterPlan('bn:')
const events = simulate(data.asn, { ...DEFAULT_PARAMS, seed: 21, scale: 0.6 }).map((e) => {
  const { label: _l, sim: _s, occurred_at: _o, ...body } = e
  const req = ScoreRequest.parse(body)
  return { req, ops: plan.plan(req, extractFeatures(req, deps).identity).ops }
})
const opsPerEvent = events.reduce((s, e) => s + e.ops.length, 0) / events.length
const countOpsPerEvent = events.reduce((s, e) => s + e.ops.filter((o) => o.kind === 'count').length, 0) / events.length

const run = async (fn: (k: number) => Promise<unknown>) => {
  const r = await openLoop(rate, seconds, fn)
  return { ...percentiles(r.latencies), errors: r.errors }
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

// Bouncer: one script call per event on the critical path, plus the decision write-back after the reply.
const store = new RedisStore(redis.url, 1000)
await store.ready()
const admin = new Redis(redis.url)
const ourSent = countSent(store.client)
const batch = (k: number): Batch => ({ now: Date.now(), idempotencyKey: `bn:v1:idem:b${k}`, idempotencyTtlMs: 60_000, nonce: `n${k}`, ops: events[k % events.length]!.ops })
const ours = await run(async (k) => {
  await store.execute(batch(k))
  void store.finalize({ idempotencyKey: `bn:v1:idem:b${k}`, idempotencyTtlMs: 60_000, response: '{}' })
})
await new Promise((r) => setTimeout(r, 200))
const oursCalls = ourSent.n / (rate * seconds)
await admin.flushall()

// rate-limiter-flexible: one limiter per (counter, window), one consume per count op.
const rlClient = new Redis(redis.url, { enableOfflineQueue: false })
await new Promise((r) => rlClient.once('ready', r))
const limiters = new Map<string, RateLimiterRedis>()
const limiterFor = (op: CounterOp & { kind: 'count' }) => {
  const id = `${op.windowMs}`
  let l = limiters.get(id)
  if (!l) limiters.set(id, (l = new RateLimiterRedis({ storeClient: rlClient, points: 1e9, duration: op.windowMs / 1000, keyPrefix: `rl${id}` })))
  return l
}
const theirSent = countSent(rlClient)
const theirs = await run(async (k) => {
  const ops = events[k % events.length]!.ops.filter((o): o is CounterOp & { kind: 'count' } => o.kind === 'count')
  await Promise.all(ops.map((op) => limiterFor(op).consume(op.key, op.add)))
})
const theirCalls = theirSent.n / (rate * seconds)

await store.close()
rlClient.disconnect()
admin.disconnect()
await redis.stop()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${rate} events/s for ${seconds}s; ${opsPerEvent.toFixed(1)} counter ops per event (${countOpsPerEvent.toFixed(1)} counts)`)
console.log(`bouncer (one script per event)      p50 ${ours.p50} ms  p99 ${ours.p99} ms  max ${ours.max} ms  errors ${ours.errors}  commands sent per event ${oursCalls.toFixed(2)} (the batch before the decision, the write-back after it)`)
console.log(`rate-limiter-flexible (count only)  p50 ${theirs.p50} ms  p99 ${theirs.p99} ms  max ${theirs.max} ms  errors ${theirs.errors}  commands sent per event ${theirCalls.toFixed(2)}`)
console.log(`written to ${writeResult('velocity', { rate, seconds, ops_per_event: opsPerEvent, bouncer: { ...ours, redis_commands_per_event: oursCalls }, rate_limiter_flexible: { ...theirs, redis_commands_per_event: theirCalls } })}`)
process.exit(0)
