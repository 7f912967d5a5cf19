import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { createRuntime } from '../src/runtime.js'
import { writeCorpora } from '../loadtest/corpus.js'
import { runScenario } from '../loadtest/run.js'
import { freePort } from './setup/redis-server.js'
import { loadScenario, schedule } from '../loadtest/scenario.js'
import { testConfig } from './helpers.js'

describe('load scenarios', () => {
  it('every scenario file is valid and schedules its stages', () => {
    for (const f of readdirSync('loadtest/scenarios')) {
      const s = loadScenario(join('loadtest/scenarios', f))
      const total = s.stages.reduce((x, st) => x + st.duration_s, 0)
      const plan = schedule({ ...s, stages: s.stages.map((st) => ({ ...st, duration_s: Math.min(st.duration_s, 5) })) }, 0.01)
      expect(plan.length, f).toBeGreaterThan(0)
      expect(total).toBeGreaterThan(0)
    }
  })

  it('ramps the rush from a quiet baseline to its peak', () => {
    const s = loadScenario('loadtest/scenarios/rush.json')
    const plan = schedule(s, 0.1)
    const perSecond = (t: number) => plan.filter((p) => p.at >= t && p.at < t + 1).length
    expect(perSecond(2)).toBeLessThan(perSecond(25) / 5)
  })

  /**
   * The k6 script evaluated with stand-ins for k6's modules (k6 itself cannot be installed here): its
   * `options` for a scenario file, and the checks it runs on a response.
   */
  function k6Script(scenario: string, env: Record<string, string> = {}) {
    const text = readFileSync('loadtest/k6/scenario.js', 'utf8')
    const body = `${text.replace(/^import .*$/gm, '').replace(/^export (const|function) /gm, '$1 ')}\nreturn { options, main, burst }`
    const checks: Record<string, boolean>[] = []
    let response: { status: number; json: (p: string) => unknown } = { status: 200, json: () => undefined }
    const http = { post: () => response }
    const check = (r: unknown, cs: Record<string, (r: unknown) => boolean>) => checks.push(Object.fromEntries(Object.entries(cs).map(([k, f]) => [k, f(r)])))
    const open = (p: string) => (p.startsWith('../scenarios/') ? readFileSync(join('loadtest/k6', p), 'utf8') : `${JSON.stringify({ event_id: 'e1', event: 'login' })}\n`)
    const stubs = { http, check, Counter: class { add() {} }, SharedArray: class { constructor(_n: string, f: () => unknown[]) { return f() } }, exec: { scenario: { iterationInTest: 0, name: 'main' } }, __ENV: { SCENARIO: scenario, ...env }, open }
    const run = new Function(...Object.keys(stubs), body) as (...a: unknown[]) => { options: { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, string[]> }; main: () => void }
    const script = run(...Object.values(stubs))
    return { ...script, checks, respond: (r: typeof response) => (response = r) }
  }

  it('the k6 script turns every scenario file into k6 options: stages, burst, thresholds', () => {
    for (const f of readdirSync('loadtest/scenarios')) {
      const s = loadScenario(join('loadtest/scenarios', f))
      const { options } = k6Script(f.replace(/\.json$/, ''))
      const main = options.scenarios.main as { executor: string; stages: { duration: string; target: number }[] }
      expect(main.executor, f).toBe('ramping-arrival-rate')
      const seconds = main.stages.reduce((t, st) => t + Number(st.duration.replace(/s$/, '')), 0)
      // a held step is a 1 s ramp then the hold: the same total
      expect(seconds, f).toBe(s.stages.reduce((t, st) => t + Math.max(st.duration_s, st.ramp ? 0 : 2), 0))
      expect(Math.max(...main.stages.map((st) => st.target)), f).toBe(Math.max(...s.stages.map((st, i) => Math.round(st.rate * (s.burst_corpus && i === s.burst_stage ? 1 - (s.burst_share ?? 0) : 1)))))
      expect('burst' in options.scenarios, f).toBe(s.burst_corpus !== undefined)
      expect(options.thresholds.http_req_duration, f).toEqual([`p(95)<${s.thresholds.p95_ms}`, `p(99)<${s.thresholds.p99_ms}`])
      expect(options.thresholds.http_req_failed, f).toEqual([`rate<${s.thresholds.error_rate}`])
    }
  })

  it('the k6 script’s checks pass a contract answer and fail a broken one', () => {
    const k = k6Script('steady')
    const answer = { decision: 'challenge', score: 61, 'rules.version': 'sha256:x', degraded: [] } as Record<string, unknown>
    k.respond({ status: 200, json: (p) => answer[p] })
    k.main()
    expect(Object.values(k.checks[0]!).every(Boolean)).toBe(true)
    k.respond({ status: 200, json: (p) => ({ ...answer, decision: 'maybe' })[p] })
    k.main()
    expect(k.checks[1]).toMatchObject({ decision: false, 'status 200': true })
    k.respond({ status: 503, json: () => undefined })
    k.main()
    expect(Object.values(k.checks[2]!).some(Boolean)).toBe(false)
  })

  /** The service listening on a free port, and a small simulated corpus made once for the runner tests. */
  async function serveForRunner(over: Record<string, string> = {}) {
    const config = testConfig({ PORT: '0', HOST: '127.0.0.1', ...over })
    const runtime = await createRuntime(config, { info() {}, warn() {}, error() {} })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    corpusDir ??= mkdtempSync(join(tmpdir(), 'bouncer-corpus-'))
    if (readdirSync(corpusDir).length === 0) writeCorpora(corpusDir, 0.02)
    return {
      opts: { url: `http://127.0.0.1:${port}`, key: config.apiKeys![0]!, corpusDir },
      async close() {
        await app.close()
        await runtime.close()
      },
    }
  }
  let corpusDir: string | undefined

  it('the Node runner plays a scenario against the service: all answers pass the shape checks', async () => {
    // Shedding off: a 503 on a busy machine is load, not behaviour (shedding has its own tests). What is left
    // to fail is the service itself, so 0 errors does not depend on how busy the machine is.
    const served = await serveForRunner({ MAX_EVENT_LOOP_DELAY_MS: '0', MAX_IN_FLIGHT: '0' })
    const s = loadScenario('loadtest/scenarios/attack.json')
    // a short, slow version: behaviour, not speed, is tested here
    const short = { ...s, stages: s.stages.map((st) => ({ ...st, duration_s: 1, rate: 40 })), thresholds: { p95_ms: 1e9, p99_ms: 1e9, error_rate: 0 } }
    const r = await runScenario(short, served.opts)
    expect(r.requests).toBeGreaterThan(100)
    expect(r.errors).toBe(0)
    expect(r.failed_checks).toBe(0)
    expect(r.degraded).toBe(0)
    expect(r.thresholds_ok).toBe(true)
    await served.close()
  })

  it('the Node runner counts answers that came without velocity (a Redis nobody listens on) as degraded', async () => {
    const served = await serveForRunner({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, REDIS_TIMEOUT_MS: '50' })
    const s = loadScenario('loadtest/scenarios/steady.json')
    const short = { ...s, stages: [{ duration_s: 1, rate: 20 }], thresholds: { p95_ms: 1e9, p99_ms: 1e9, error_rate: 0 } }
    const r = await runScenario(short, served.opts)
    expect(r.requests).toBeGreaterThan(10)
    expect(r.failed_checks).toBe(0)
    expect(r.degraded).toBe(r.requests)
    await served.close()
  })
})
