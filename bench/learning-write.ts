import { startRedis } from '../test/setup/redis-server.js'
import type { DecisionRecord } from '../src/learning/record.js'
import { RedisLearningStore } from '../src/learning/redis-store.js'
import { machine, writeResult } from './machine.js'

/**
 * What writing decision records costs the service: N realistic records through RedisLearningStore (its own
 * queue and batches, a real redis-server), the process's CPU from the first record to the last write. In a
 * whole-service run this part is a few percent, under the noise of the shared machine; here it is alone.
 *   npm run bench:learning [-- N]
 */
const n = Number(process.argv[2] ?? 50_000)
const vector = Buffer.from(new Float32Array(106).map((_, i) => i * 0.37).buffer).toString('base64')
const rec = (i: number): DecisionRecord => ({
  decision_id: `dec_${i.toString(36).padStart(22, 'x')}`,
  event_id_hash: i.toString(36).padStart(22, 'h'),
  at: new Date(Date.UTC(2026, 11, 3) + i).toISOString(),
  event: i % 3 === 0 ? 'login' : i % 3 === 1 ? 'registration' : 'coupon_claim',
  decision: i % 11 === 0 ? 'challenge' : 'allow',
  score: i % 100,
  rules_version: 'sha256:14c9a2725483196773770b0857ad1c7556caf9c5aa10d65de7713b7dc9a8188f',
  rules_action: 'allow',
  allow_listed: false,
  rules_score: 0,
  model: 'risk-gbt@2026.11.1',
  model_score: (i % 1000) / 1000,
  degraded: [],
  schema: 'f3a9c2e1d4b5a6c7',
  vector,
})
const schema = { fingerprint: 'f3a9c2e1d4b5a6c7', names: Array.from({ length: 106 }, (_, i) => `f${i}`) }
const records = Array.from({ length: n }, (_, i) => rec(i))
const redis = await startRedis()
const rounds: number[] = []
for (let round = 0; round < 3; round++) {
  const store = new RedisLearningStore(redis.url, { prefix: `bl${round}:`, maxLen: 1_000_000 })
  const c0 = process.cpuUsage()
  // as the service records them: a few per turn of the loop, 2,000 a second in 5 ms turns
  for (let i = 0; i < n; i += 10) {
    for (let j = i; j < Math.min(n, i + 10); j++) store.record(records[j]!, schema)
    await new Promise((r) => setImmediate(r))
  }
  await store.flush()
  const c = process.cpuUsage(c0)
  rounds.push((c.user + c.system) / n)
  await store.close()
}
const m = machine()
const best = Math.min(...rounds)
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${n} records, 3 rounds: ${rounds.map((r) => r.toFixed(1)).join(', ')} µs of this process's CPU per record (best ${best.toFixed(1)})`)
console.log(`written to ${writeResult('learning-write', { records: n, us_per_record: rounds })}`)
await redis.stop()
