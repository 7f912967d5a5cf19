import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync } from 'node:fs'
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

  it('the k6 script is valid JavaScript for k6 (syntax)', () => {
    execFileSync(process.execPath, ['--check', 'loadtest/k6/scenario.js'])
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
    const served = await serveForRunner()
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
