import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../../src/app.js'
import { DEFAULT_PARAMS, simulate } from '../../../src/offline/sim/simulate.js'
import { createRuntime } from '../../../src/runtime.js'
import { sharedSignalData } from '../../../src/signals/shared-data.js'
import { AUTH, testConfig } from '../../helpers.js'

const run = (args: string[], env: Record<string, string>) =>
  execFileSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })

describe('npm run train -- --from-feedback and npm run backtest -- --from-store', () => {
  it('train a candidate from the service’s own store and replay the stored period with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-fb-cli-'))
    const env = { DECISIONS_FILE: join(dir, 'decisions.ndjson'), FEEDBACK_FILE: join(dir, 'feedback.ndjson'), DECISIONS_STORE: 'file' }
    const config = testConfig(env)
    const runtime = await createRuntime(config, { info() {}, warn() {}, error() {} })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const events = simulate(sharedSignalData().asn, { ...DEFAULT_PARAMS, seed: 5, scale: 0.015 })
    for (const { label, sim: _s, ...body } of events) {
      await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })
      if (label === 'fraud') await app.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id: body.event_id, label, source: 'chargeback' } })
    }
    await app.close()
    await runtime.close()

    const out = join(dir, 'candidate')
    const now = new Date(Date.now() + 60_000).toISOString()
    const trained = run(['src/offline/cli/train.ts', '--from-feedback', '--sim-share', '0', '--maturity-days', '0', '--now', now, '--out', out, '--version', 'cli-test'], env)
    expect(trained).toMatch(new RegExp(`${events.length} feedback rows \\(\\d+ fraud\\) \\+ 0 simulated`))
    const card = JSON.parse(readFileSync(join(out, 'card.json'), 'utf8'))
    expect(card).toMatchObject({ id: 'risk-gbt-fb', version: 'cli-test', created_by: 'npm run train -- --from-feedback', training: { sources: { feedback: { rows: events.length } } } })

    const bt = run(['src/offline/cli/backtest.ts', '--from-store', '--model', out], env)
    expect(bt).toContain(`B: risk-gbt-fb@cli-test   ${events.length} decision records`)
    expect(bt).toMatch(/\d+ decisions changed/)
  }, 90_000)

  it('answer --help, and refuse a bad option with the known ones', () => {
    expect(run(['src/offline/cli/train.ts', '--from-feedback', '--help'], {})).toContain('--maturity-days')
    expect(run(['src/offline/cli/backtest.ts', '--help'], {})).toContain('--from-store')
    expect(() => run(['src/offline/cli/train.ts', '--from-feedback', '--sim-share', '2'], {})).toThrow(/--sim-share is auto or between 0 and 1/)
  })
})
