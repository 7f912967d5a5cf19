import { parseArgs } from '../src/offline/cli/args.js'
import { serve } from './proc.js'
import { freshEvent, readCorpus } from './corpus.js'
import { machine, writeResult } from '../bench/machine.js'
import { openLoop, percentiles } from '../bench/open-loop.js'

/**
 * A first latency figure: start the service as its own process, replay a simulated corpus (unique
 * event ids, all three doors, attacks included) at a fixed arrival rate, report percentiles.
 *   npm run bench:latency -- [--rate 1000] [--seconds 20] [--redis redis://127.0.0.1:6379]
 */
const a = parseArgs(process.argv.slice(2), { rate: 'number', seconds: 'number', redis: 'string', port: 'number' })
const rate = (a.rate as number | undefined) ?? 1000
const seconds = (a.seconds as number | undefined) ?? 20
const port = (a.port as number | undefined) ?? 3917
const key = 'bench-key-0123456789abcdef'
const tag = Date.now().toString(36)

const corpus = readCorpus('mixed')
const served = await serve('src/server.ts', port, { API_KEYS: key, LOG_LEVEL: 'warn', ...(a.redis ? { REDIS_URL: a.redis as string } : {}) })
process.on('exit', () => served.proc.kill('SIGTERM'))

async function run(duration: number, r: number, offset: number) {
  const serverLat = new Float64Array(Math.round(duration * r))
  let non2xx = 0
  const res = await openLoop(r, duration, async (k) => {
    const resp = await fetch(`${served.url}/v1/score`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: freshEvent(corpus[(offset + k) % corpus.length]!, tag, offset + k) })
    const body = (await resp.json()) as { latency_ms?: number }
    serverLat[k] = body.latency_ms ?? NaN
    if (resp.status < 200 || resp.status > 299) non2xx++
  })
  return { requests: res.requests, non2xx, errors: res.errors, ...percentiles(res.latencies), server: percentiles(serverLat), seconds: res.seconds }
}

await run(5, Math.min(rate, 500), 0) // warm-up: JIT, UA cache
const res = await run(seconds, rate, 5 * Math.min(rate, 500))
await served.stop()

const out = {
  store: a.redis ? 'redis' : 'memory',
  generator: 'open-loop fetch (keep-alive), latency from scheduled send time',
  target_rate: rate,
  seconds,
  requests: res.requests,
  achieved_rps: Math.round(res.requests / res.seconds),
  non_2xx: res.non2xx,
  errors: res.errors,
  latency_ms: { p50: res.p50, p90: res.p90, p99: res.p99, p99_9: res.p99_9, max: res.max },
  /** the service's own latency_ms: parse to reply, without HTTP and the generator */
  server_latency_ms: res.server,
}
const file = writeResult(`quick-latency-${out.store}-${rate}`, out)
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}, store ${out.store}`)
console.log(`${rate} req/s for ${seconds}s: ${out.requests} requests (${out.achieved_rps}/s achieved), ${out.non_2xx} non-2xx, ${out.errors} errors`)
console.log(`latency ms: p50 ${out.latency_ms.p50}  p90 ${out.latency_ms.p90}  p99 ${out.latency_ms.p99}  p99.9 ${out.latency_ms.p99_9}  max ${out.latency_ms.max}`)
console.log(`server-side latency_ms: p50 ${res.server.p50}  p90 ${res.server.p90}  p99 ${res.server.p99}  p99.9 ${res.server.p99_9}  max ${res.server.max}`)
console.log(`written to ${file}`)
process.exit(0)
