import { ScoreRequest } from '../src/events/schemas.js'
import { createRuntime } from '../src/runtime.js'
import { loadConfig } from '../src/config.js'
import { readCorpus } from '../loadtest/corpus.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'

/**
 * The scoring pipeline without HTTP: Scorer.score on the load corpus, 16 in flight, memory store then a
 * real redis-server; CPU and wall time per event. The HTTP layer's own cost is the service bench minus this.
 *   npm run bench:scorer [-- N]
 */
const N = Number(process.argv[2] ?? 8000)
const corpus = readCorpus('mixed').slice(0, N + 2000).map((l) => JSON.parse(l) as Record<string, unknown>)
const quiet = { info() {}, warn() {}, error() {} }
const redis = await startRedis()
const out: Record<string, unknown> = {}
for (const env of [{}, { REDIS_URL: redis.url }] as Record<string, string>[]) {
  const rt = await createRuntime(loadConfig({ RULES_WATCH: 'false', API_KEYS: 'bench-key-0123456789abcdef', ...env }), quiet)
  if (rt.store.kind === 'redis') await (rt.store as unknown as { ready(): Promise<void> }).ready()
  const tag = Date.now().toString(36)
  const reqs = corpus.map((b, i) => ScoreRequest.parse({ ...b, event_id: `${String(b.event_id)}-${tag}-${i}` }))
  for (let k = 0; k < 2000; k++) await rt.scorer.score(reqs[k]!) // warm-up
  let next = 2000
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < reqs.length) await rt.scorer.score(reqs[next++]!)
  }))
  const wall = ((performance.now() - t0) * 1000) / N
  const c = process.cpuUsage(c0)
  const cpu = (c.user + c.system) / N
  out[rt.store.kind] = { wall_us_per_event: Math.round(wall * 10) / 10, cpu_us_per_event: Math.round(cpu * 10) / 10 }
  console.log(`${rt.store.kind}: ${wall.toFixed(1)} µs wall, ${cpu.toFixed(1)} µs CPU per event (this process; Redis's own CPU not included)`)
  await rt.close()
}
await redis.stop()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; written to ${writeResult('scorer', { events: N, concurrency: 16, ...out })}`)
process.exit(0)
