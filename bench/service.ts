import { mkdirSync, writeFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import { parseArgs } from '../src/offline/cli/args.js'
import { freshEvent, readCorpus } from '../loadtest/corpus.js'
import { isDegraded, runScenario } from '../loadtest/run.js'
import { loadScenario } from '../loadtest/scenario.js'
import { startRedis } from '../test/setup/redis-server.js'
import { commandStats, formatPerEvent, perEvent } from './commandstats.js'
import { serviceCharts } from './charts.js'
import { Client } from './http-client.js'
import { machine, writeResult } from './machine.js'
import { openLoop, percentiles, perSecond } from './open-loop.js'
import { measureCpu, serve } from '../loadtest/proc.js'

/**
 * The service benchmark: starts a redis-server and each target as its own process, drives them from this
 * one, same corpus, same machine, one run:
 *   echo     bare Fastify JSON echo (the ceiling of the HTTP layer)
 *   naive    scoring written the straightforward way (bench/servers/naive.ts); `--ladder` adds it with
 *            Bouncer's velocity call, then micro-batched model, then compiled rules swapped in, one at a time
 *   bouncer  the service as `npm start` runs it (scripts/start.mjs: dist/, REDIS_URL, decision log on); bouncer-2-workers with WORKERS=2;
 *            bouncer-memory (not run by default) without Redis
 * For each: throughput (autocannon, closed loop), then a fixed arrival rate (open loop, latency from each
 * request's scheduled time), with the CPU each process used. Then the `rush` scenario against Bouncer.
 *   npm run bench:service -- [--seconds 15] [--rate 2000] [--connections 32] [--sockets 256] [--preconnect] [--targets echo,naive,bouncer,bouncer-2-workers|none]
 *                            [--rush-target bouncer] [--rush-scale 1] [--no-rush]
 * Writes bench/results/service.{json,md,html} and docs/performance.svg.
 */
const a = parseArgs(process.argv.slice(2), { seconds: 'number', rate: 'number', connections: 'number', targets: 'string', 'rush-scale': 'number', 'rush-target': 'string', workers: 'number', 'no-rush': 'boolean', ladder: 'boolean', sockets: 'number', preconnect: 'boolean' })
const seconds = (a.seconds as number | undefined) ?? 15
const rate = (a.rate as number | undefined) ?? 2000
const connections = (a.connections as number | undefined) ?? 32
// the open-loop sender's connection cap: past it requests wait in the sender, not in the service (a storefront
// fleet holds many more connections than one process's share of MAX_IN_FLIGHT)
const sockets = (a.sockets as number | undefined) ?? 256
const defaultTargets = a.ladder ? 'echo,naive,naive+velocity,naive+velocity+model,naive+velocity+model+rules,bouncer,bouncer-2-workers' : 'echo,naive,bouncer,bouncer-2-workers'
const targets = ((a.targets as string | undefined) ?? defaultTargets).split(',').filter((t) => t !== '' && t !== 'none')
const rushTarget = (a['rush-target'] as string | undefined) ?? 'bouncer'
const rushScale = (a['rush-scale'] as number | undefined) ?? 1
const workers = (a.workers as number | undefined) ?? 1
const KEY = 'bench-key-0123456789abcdef'

const corpus = readCorpus('mixed')
let seq = 0
const runTag = Date.now().toString(36)
let tag = runTag
/** The next corpus body with a fresh event_id: every request is a new event. */
function nextBody(): string {
  const i = seq++
  return freshEvent(corpus[i % corpus.length]!, tag, i)
}

const redis = await startRedis()
const admin = new Redis(redis.url)
/**
 * Every measured phase of every target starts from an empty Redis and the corpus's first body, so each meets
 * the same work: carried-over counters would have a later phase, or a later target sharing a key prefix,
 * score identifiers already seen (the corpus wraps within a run). Three identical targets in one run gave
 * 0.97 / 0.96 / 0.98 cores before this and 0.92 / 1.01 / 0.95 after: no order effect stood out from the
 * machine's drift, but a comparison should not depend on it.
 */
async function freshState(phase: string): Promise<void> {
  await admin.flushall()
  seq = 0
  tag = `${runTag}-${phase}`
}
const naive = (fix = '') => ({ entry: 'bench/servers/naive.ts', env: { REDIS_URL: redis.url, NAIVE_FIX: fix } })
// as in production: decision log on, a real PII secret; rules watching off so nothing but load moves
const service = { API_KEYS: KEY, LOG_LEVEL: 'info', RULES_WATCH: 'false', PII_SECRET: 'bench-secret-0123456789abcdef' }
const ENTRIES: Record<string, { entry: string; env: Record<string, string> }> = {
  echo: { entry: 'bench/servers/echo.ts', env: {} },
  naive: naive(),
  // the ladder: the naive scorer with Bouncer's parts swapped in one at a time
  'naive+velocity': naive('velocity'),
  'naive+velocity+model': naive('velocity,model'),
  'naive+velocity+model+rules': naive('velocity,model,rules'),
  // what `npm start` runs: the built dist/ (built first when src/ is newer), not the TypeScript through tsx
  bouncer: { entry: 'scripts/start.mjs', env: { ...service, REDIS_URL: redis.url, WORKERS: String(workers) } },
  'bouncer-2-workers': { entry: 'scripts/start.mjs', env: { ...service, REDIS_URL: redis.url, WORKERS: '2' } },
  'bouncer-memory': { entry: 'scripts/start.mjs', env: service },
}

interface TargetResult {
  target: string
  throughput: { rps: number; latency_ms: { p50: number; p90: number; p99: number; p99_9: number; max: number }; non2xx: number; errors: number; cpu: Record<string, number | null>; cpu_us_per_event: Record<string, number | null> }
  fixed_rate: { rate: number; requests: number; errors: number; non2xx: number; degraded: number; latency_ms: ReturnType<typeof percentiles>; answered_latency_ms: ReturnType<typeof percentiles>; shed: number; shed_latency_ms: ReturnType<typeof percentiles> | null; sender_lag_ms: ReturnType<typeof percentiles>; cpu: Record<string, number | null>; cpu_us_per_event: Record<string, number | null>; redis_commands_per_event: ReturnType<typeof perEvent>; timeline: { second: number; requests: number; shed: number; latency_ms: ReturnType<typeof percentiles> }[] }
}

/** CPU seconds per process over a phase → µs per event of that phase */
const usPerEvent = (used: Record<string, number | null>, events: number) => Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v === null || events === 0 ? null : Math.round((v * 1e6) / events)]))

const results: TargetResult[] = []
let port = 3990
for (const name of targets) {
  const t = ENTRIES[name]
  if (!t) throw new Error(`unknown target ${name}; one of ${Object.keys(ENTRIES).join(', ')}`)
  const served = await serve(t.entry, port++, t.env)
  const pids = { [name]: served.proc.pid!, redis: redis.pid }
  const client = new Client(served.url, { authorization: `Bearer ${KEY}` }, sockets)
  const post = async () => {
    const r = await client.post('/v1/score', nextBody())
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`)
  }
  // warm-up: JIT, caches, connection pool
  await freshState(`${name}-warm`)
  await openLoop(500, 3, post)
  // --preconnect: open every one of the open-loop client's connections before the measured phases, as a
  // storefront fleet's pools are open before a rush; without it, connections open during the run
  if (a.preconnect) for (let r = 0; r < 3; r++) await Promise.all(Array.from({ length: sockets }, () => client.post('/v1/score', nextBody()).catch(() => {})))
  await freshState(`${name}-closed`)

  const tp = await measureCpu(pids, () =>
    autocannon({
      url: served.url,
      connections,
      duration: seconds,
      requests: [{ method: 'POST', path: '/v1/score', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: nextBody() }) }],
    }),
  )
  const r = tp.result
  const throughput = {
    // answered requests only: past its utilisation limit the service refuses some with 503, and a refusal is not throughput
    rps: Math.round((r.requests.total - r.non2xx) / (r.duration || seconds)),
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p99_9: r.latency.p99_9, max: r.latency.max },
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpu: tp.cpu,
    // at saturation: every request the generator sent, answered or refused, shared the CPU
    cpu_us_per_event: usPerEvent(tp.used, r.requests.total),
  }
  await new Promise((res) => setTimeout(res, 1000))

  let non2xx = 0
  let degraded = 0
  await freshState(`${name}-fixed`)
  // a refusal that arrives after the storefront's own timeout sheds nothing: 503s get their own percentiles
  const statuses = new Uint16Array(Math.round(rate * seconds))
  await admin.config('RESETSTAT')
  const fr = await measureCpu(pids, () =>
    openLoop(rate, seconds, async (k) => {
      const res = await client.post('/v1/score', nextBody())
      statuses[k] = res.status
      if (res.status !== 200) non2xx++
      else if (isDegraded(res.body)) degraded++
    }),
  )
  // what Redis ran per event at the fixed rate (counters script, write-backs, decision records)
  const redisCommands = perEvent(await commandStats(admin), fr.result.requests)
  const of = (status: number) => fr.result.latencies.filter((_, k) => statuses[k] === status)
  const shed = of(503)
  const timeline = perSecond(statuses.length, (k) => Math.floor(k / rate), fr.result.latencies, (k) => statuses[k] === 503).map(({ flagged, ...t }) => ({ ...t, shed: flagged }))
  if (process.env.BENCH_TIMELINE) for (const t of timeline) console.error(`  s${t.second}: ${t.requests} sent, ${t.shed} shed, p50 ${t.latency_ms.p50} p99 ${t.latency_ms.p99} max ${t.latency_ms.max} ms`)
  const fixed = {
    rate,
    requests: fr.result.requests,
    errors: fr.result.errors,
    non2xx,
    degraded,
    latency_ms: percentiles(fr.result.latencies),
    answered_latency_ms: percentiles(of(200)),
    shed: shed.length,
    shed_latency_ms: shed.length ? percentiles(shed) : null,
    sender_lag_ms: percentiles(fr.result.lag),
    cpu: fr.cpu,
    // each process's CPU seconds over the phase ÷ its events: what one event costs it, the figure issue 15 targets
    cpu_us_per_event: usPerEvent(fr.used, fr.result.requests),
    redis_commands_per_event: redisCommands,
    timeline,
  }
  client.close()
  await served.stop()
  results.push({ target: name, throughput, fixed_rate: fixed })
  console.log(`${name}: ${throughput.rps} req/s (closed loop, ${connections} connections), at ${rate}/s p50 ${fixed.latency_ms.p50} p99 ${fixed.latency_ms.p99} p99.9 ${fixed.latency_ms.p99_9} ms, errors ${fixed.errors + fixed.non2xx}, degraded ${fixed.degraded}${fixed.shed_latency_ms ? `, shed ${fixed.shed} (503) at p50 ${fixed.shed_latency_ms.p50} p99 ${fixed.shed_latency_ms.p99} ms, answered p50 ${fixed.answered_latency_ms.p50} p99 ${fixed.answered_latency_ms.p99} ms` : ''}`)
}

let rush: Awaited<ReturnType<typeof runScenario>> | undefined
const rushScenario = loadScenario('loadtest/scenarios/rush.json')
let rushCpu: Record<string, number | null> | undefined
if (!a['no-rush']) {
  const t = ENTRIES[rushTarget]
  if (!t) throw new Error(`unknown rush target ${rushTarget}`)
  const served = await serve(t.entry, port, t.env)
  const warm = new Client(served.url, { authorization: `Bearer ${KEY}` })
  await freshState('rush-warm')
  await openLoop(500, 3, () => warm.post('/v1/score', nextBody()))
  warm.close()
  await freshState('rush')
  const m = await measureCpu({ [rushTarget]: served.proc.pid!, redis: redis.pid }, () => runScenario(rushScenario, { url: served.url, key: KEY, scale: rushScale }))
  rush = m.result
  rushCpu = m.cpu
  await served.stop()
}
admin.disconnect()
await redis.stop()

const echo = results.find((r) => r.target === 'echo')
const bouncer = results.find((r) => r.target === 'bouncer')
const ratio = echo && bouncer ? Math.round((bouncer.throughput.rps / echo.throughput.rps) * 1000) / 1000 : null
// The peak is the hold at the top rate, not the ramp up to it: the ramp spends most of its time below the peak.
const topRate = Math.max(...rushScenario.stages.map((s) => s.rate))
let holdIndex = -1
rushScenario.stages.forEach((s, i) => {
  if (s.rate === topRate && !s.ramp) holdIndex = i
})
const peak = rush?.stages[holdIndex >= 0 ? holdIndex : rushScenario.stages.length - 1]
const ramp = rush?.stages.find((_, i) => rushScenario.stages[i]!.ramp)

const m = machine()
const cpuCell = (c: Record<string, number | null>) => Object.entries(c).map(([k, v]) => `${k} ${v ?? '?'}`).join(', ')
const table = [
  `Machine: ${m.cpus}× ${m.cpu}, ${m.memory_gb} GiB, Node ${m.node}; the generator, Redis and the target share the machine. ${new Date().toISOString().slice(0, 10)}, \`npm run bench:service -- --seconds ${seconds} --rate ${rate}${a.ladder ? ' --ladder' : ''}\`${workers > 1 ? ` --workers ${workers}` : ''}.`,
  '',
  `| target | throughput (closed loop, ${connections} conns) | vs echo | p50 / p99 / p99.9 / max at ${rate}/s | of which sender lag p50 / p99 | errors | degraded | refused 503: count, p50 / p99 | CPU at ${rate}/s (cores) | CPU per event at ${rate}/s (µs) | CPU per event, closed loop (µs) |`,
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.target} | ${r.throughput.rps.toLocaleString('en')} req/s | ${echo ? `${Math.round((r.throughput.rps / echo.throughput.rps) * 100)}%` : '—'} | ${r.fixed_rate.latency_ms.p50} / ${r.fixed_rate.latency_ms.p99} / ${r.fixed_rate.latency_ms.p99_9} / ${r.fixed_rate.latency_ms.max} ms | ${r.fixed_rate.sender_lag_ms.p50} / ${r.fixed_rate.sender_lag_ms.p99} ms | ${r.fixed_rate.errors + r.fixed_rate.non2xx} | ${r.target === 'echo' ? '—' : r.fixed_rate.degraded} | ${r.fixed_rate.shed_latency_ms ? `${r.fixed_rate.shed}, ${r.fixed_rate.shed_latency_ms.p50} / ${r.fixed_rate.shed_latency_ms.p99} ms` : '0'} | ${cpuCell(r.fixed_rate.cpu)} | ${cpuCell(r.fixed_rate.cpu_us_per_event)} | ${cpuCell(r.throughput.cpu_us_per_event)} |`),
  '',
  ...results.filter((r) => Object.keys(r.fixed_rate.redis_commands_per_event).length > 0).map((r) => `Redis per ${r.target} event at ${rate}/s (INFO commandstats; a script's inner calls are inside its EVALSHA time too): ${formatPerEvent(r.fixed_rate.redis_commands_per_event)}.`),
  ...(rush && peak
    ? ['', `Rush (\`loadtest/scenarios/rush.json\`${rushScale !== 1 ? ` × ${rushScale}` : ''}, ${rushTarget}): ${rush.requests.toLocaleString('en')} requests, ${rush.errors} errors, ${rush.failed_checks} failed checks, ${rush.degraded} degraded; holding the peak (${peak.rate}/s, ${peak.requests.toLocaleString('en')} requests): p50 ${peak.latency_ms.p50} ms, p99 ${peak.latency_ms.p99} ms, p99.9 ${peak.latency_ms.p99_9} ms, max ${peak.latency_ms.max} ms${ramp ? `; the ramp up to it: p50 ${ramp.latency_ms.p50}, p99 ${ramp.latency_ms.p99} ms` : ''}; whole run p99 ${rush.latency_ms.p99} ms, scenario thresholds ${rush.thresholds_ok ? 'met' : `failed (${rush.failures.join('; ')})`}; CPU ${cpuCell(rushCpu!)}.`]
    : []),
].join('\n')

mkdirSync('bench/results', { recursive: true })
mkdirSync('docs', { recursive: true })
const json = writeResult('service', { seconds, rate, connections, workers, results, throughput_ratio_to_echo: ratio, rush: rush ? { ...rush, cpu: rushCpu, peak, ramp } : null })
writeFileSync('bench/results/service.md', table + '\n')
const charts = serviceCharts({ rate, machine: m, results, rush: rush ? { ...rush, peak } : null }, table)
for (const [file, body] of Object.entries(charts)) writeFileSync(file, body.endsWith('\n') ? body : body + '\n')
console.log(`\n${table}\n\nthroughput vs echo: ${ratio ?? 'n/a'}\nwritten to ${json}, bench/results/service.md, ${Object.keys(charts).join(', ')}`)
process.exit(0)
