import { parseArgs } from '../src/offline/cli/args.js'
import { machine, writeResult } from '../bench/machine.js'
import { Client } from '../bench/http-client.js'
import { percentiles, perSecond } from '../bench/open-loop.js'
import { freshEvent, readCorpus } from './corpus.js'
import { loadScenario, schedule, type Scenario } from './scenario.js'

/**
 * The Node runner for loadtest/scenarios/*.json (k6 itself cannot be installed here; loadtest/k6/ plays the
 * same files). Open loop: each request is due at its scheduled time and its latency counts from then.
 *   npm run loadtest -- --scenario steady --url http://127.0.0.1:3000 --key KEY [--scale 0.5]
 * Exits 1 when a threshold of the scenario fails.
 */
export interface RunResult {
  scenario: string
  requests: number
  errors: number
  failed_checks: number
  /** answered, but without a part of the pipeline (`degraded` not empty: velocity or the model missed its budget) */
  degraded: number
  error_rate: number
  latency_ms: ReturnType<typeof percentiles> & { p95: number }
  /** per stage of the scenario: its target rate and what it got */
  stages: { stage: number; rate: number; requests: number; errors: number; latency_ms: ReturnType<typeof percentiles> }[]
  /** per second of the schedule, by when requests were due: the rush's latency over time */
  timeline: { second: number; requests: number; errors: number; latency_ms: ReturnType<typeof percentiles> }[]
  thresholds_ok: boolean
  failures: string[]
}

const DECISIONS = new Set(['allow', 'challenge', 'review', 'deny'])

/** An answer made without velocity or the model (`degraded` not empty): the service failing open, not an error. */
export const isDegraded = (body: string): boolean => body.includes('"degraded":["')

export async function runScenario(s: Scenario, opts: { url: string; key: string; scale?: number; corpusDir?: string }): Promise<RunResult> {
  const dir = opts.corpusDir ?? 'loadtest/corpus'
  const main = readCorpus(s.corpus, dir)
  const burst = s.burst_corpus ? readCorpus(s.burst_corpus, dir) : []
  const plan = schedule(s, opts.scale ?? 1)
  const lat = new Float64Array(plan.length)
  let errors = 0
  let failedChecks = 0
  let degraded = 0
  const t0 = performance.now() + 20
  const inflight: Promise<void>[] = []
  let k = 0
  const runTag = Date.now().toString(36)
  const client = new Client(opts.url, { authorization: `Bearer ${opts.key}` })
  const failed = new Uint8Array(plan.length)
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (k < plan.length && t0 + plan[k]!.at * 1000 <= now) {
        const i = k++
        const due = t0 + plan[i]!.at * 1000
        const fromBurst = burst.length > 0 && plan[i]!.stage === s.burst_stage && (i * 0.6180339887) % 1 < (s.burst_share ?? 0)
        const pool = fromBurst ? burst : main
        const body = freshEvent(pool[i % pool.length]!, runTag, i)
        inflight.push(
          client
            .post('/v1/score', body)
            .then((res) => {
              lat[i] = performance.now() - due
              if (res.status >= 500 || res.status === 429) {
                errors++
                failed[i] = 1
              }
              let j: { decision?: string; score?: number; rules?: { version?: string } } = {}
              try {
                j = JSON.parse(res.body) as typeof j
              } catch {
                // not JSON: fails the shape check below
              }
              // the response shape a storefront relies on
              if (res.status !== 200 || !DECISIONS.has(j.decision ?? '') || typeof j.score !== 'number' || typeof j.rules?.version !== 'string') failedChecks++
              else if (isDegraded(res.body)) degraded++
            })
            .catch(() => {
              lat[i] = performance.now() - due
              errors++
              failed[i] = 1
              failedChecks++
            }),
        )
      }
      if (k >= plan.length) return resolve()
      // sleep until the next request is due rather than spin (the sender shares the machine; see openLoop)
      setTimeout(tick, Math.max(0, t0 + plan[k]!.at * 1000 - performance.now() - 0.5))
    }
    tick()
  })
  await Promise.all(inflight)
  client.close()
  const p = percentiles(lat)
  const stages = s.stages.map((st, stage) => {
    const idx = plan.flatMap((x, i) => (x.stage === stage ? [i] : []))
    return { stage, rate: st.rate * (opts.scale ?? 1), requests: idx.length, errors: idx.reduce((n, i) => n + failed[i]!, 0), latency_ms: percentiles(idx.map((i) => lat[i]!)) }
  })
  const timeline = perSecond(plan.length, (i) => Math.floor(plan[i]!.at), lat, (i) => failed[i] === 1).map(({ flagged, ...t }) => ({ ...t, errors: flagged }))
  const sorted = Array.from(lat).sort((x, y) => x - y)
  const p95 = Math.round(sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]! * 1000) / 1000
  const errorRate = plan.length ? errors / plan.length : 0
  const failures: string[] = []
  if (p95 > s.thresholds.p95_ms) failures.push(`p95 ${p95} ms > ${s.thresholds.p95_ms} ms`)
  if (p.p99 > s.thresholds.p99_ms) failures.push(`p99 ${p.p99} ms > ${s.thresholds.p99_ms} ms`)
  if (errorRate > s.thresholds.error_rate) failures.push(`error rate ${errorRate} > ${s.thresholds.error_rate}`)
  if (failedChecks > 0) failures.push(`${failedChecks} responses failed the shape checks`)
  return { scenario: s.name, requests: plan.length, errors, failed_checks: failedChecks, degraded, error_rate: errorRate, latency_ms: { ...p, p95 }, stages, timeline, thresholds_ok: failures.length === 0, failures }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = parseArgs(process.argv.slice(2), { scenario: 'string', url: 'string', key: 'string', scale: 'number' })
  const s = loadScenario(`loadtest/scenarios/${(a.scenario as string | undefined) ?? 'steady'}.json`)
  const r = await runScenario(s, { url: (a.url as string | undefined) ?? 'http://127.0.0.1:3000', key: (a.key as string | undefined) ?? process.env.API_KEY ?? '', scale: (a.scale as number | undefined) ?? 1 })
  const m = machine()
  console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; scenario ${r.scenario}: ${r.requests} requests, ${r.errors} errors, ${r.failed_checks} failed checks, ${r.degraded} degraded`)
  console.log(`latency ms: p50 ${r.latency_ms.p50}  p90 ${r.latency_ms.p90}  p95 ${r.latency_ms.p95}  p99 ${r.latency_ms.p99}  p99.9 ${r.latency_ms.p99_9}  max ${r.latency_ms.max}`)
  for (const st of r.stages) console.log(`  stage ${st.stage} (${st.rate}/s): ${st.requests} requests, ${st.errors} errors, p50 ${st.latency_ms.p50}  p99 ${st.latency_ms.p99}  max ${st.latency_ms.max}`)
  console.log(r.thresholds_ok ? 'thresholds: ok' : `thresholds FAILED: ${r.failures.join('; ')}`)
  console.log(`written to ${writeResult(`loadtest-${r.scenario}`, { ...r })}`)
  process.exit(r.thresholds_ok ? 0 : 1)
}
