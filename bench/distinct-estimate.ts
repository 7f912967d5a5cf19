import { MemoryStore } from '../src/velocity/memory-store.js'
import { RedisStore } from '../src/velocity/redis-store.js'
import type { VelocityStore } from '../src/velocity/store.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'

/**
 * Distinct counts past the exact cap: how far the HyperLogLog estimate is from the truth, per store.
 * Members arrive one per second for N seconds into a key with the shipped cap (1,000) and windows 1h/24h.
 *   npm run bench:distinct [-- N]
 */
const n = Number(process.argv[2] ?? 20_000)
const H = 3_600_000
const T0 = Date.parse('2026-11-11T00:00:00Z')
const redis = await startRedis()
const stores: [string, VelocityStore][] = [['memory', new MemoryStore()], ['redis', new RedisStore(redis.url, 2000)]]
const out: Record<string, unknown> = {}
for (const [name, store] of stores) {
  if (store instanceof RedisStore) await store.ready()
  const checkpoints: { members: number; truth_1h: number; est_1h: number; truth_24h: number; est_24h: number }[] = []
  for (let i = 0; i < n; i++) {
    const now = T0 + i * 1000
    const r = await store.execute({ now, idempotencyKey: `d:idem:${name}:${i}`, idempotencyTtlMs: 60_000, nonce: 'n', ops: [{ kind: 'distinct', key: `d:{dev:${name}}:accounts`, member: `acct-${i}`, windowsMs: [H, 24 * H], cap: 1000 }] })
    if (r.status !== 'fresh') throw new Error(r.status)
    if ((i + 1) % 2500 === 0) checkpoints.push({ members: i + 1, truth_1h: Math.min(i + 1, 3600), est_1h: r.values[0]!, truth_24h: i + 1, est_24h: r.values[1]! })
  }
  const errs = checkpoints.flatMap((c) => [Math.abs(c.est_1h - c.truth_1h) / c.truth_1h, Math.abs(c.est_24h - c.truth_24h) / c.truth_24h])
  out[name] = { checkpoints, max_relative_error: Math.round(Math.max(...errs) * 10000) / 10000 }
  console.log(`${name}: max relative error ${(Math.max(...errs) * 100).toFixed(2)}% over ${checkpoints.length} checkpoints (1h and 24h windows)`)
  for (const c of checkpoints) console.log(`  ${c.members} members: 1h ${c.est_1h} (true ${c.truth_1h}), 24h ${c.est_24h} (true ${c.truth_24h})`)
  await store.close()
}
await redis.stop()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; written to ${writeResult('distinct-estimate', { members: n, cap: 1000, ...out })}`)
