import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Model } from '../../../src/model/model.js'
import { backtest, formatBacktest } from '../../../src/offline/replay/backtest.js'
import { backtestHtml } from '../../../src/offline/report/html.js'
import { sharedSignalData } from '../../../src/signals/shared-data.js'
import { SHIPPED_CATALOG } from '../../helpers.js'
import { DEFAULT_PARAMS, simulate } from '../../../src/offline/sim/simulate.js'

describe('backtest', () => {
  let model: Model
  let lines: string[]
  let candidate: string
  beforeAll(async () => {
    model = await Model.load('models/risk-gbt', SHIPPED_CATALOG)
    lines = simulate(sharedSignalData().asn, { ...DEFAULT_PARAMS, seed: 91, scale: 0.05, days: 1, rushAtHour: 20 }).map((e) => JSON.stringify(e))
    candidate = mkdtempSync(join(tmpdir(), 'bouncer-bt-'))
    cpSync('rules', candidate, { recursive: true })
    const shared = readFileSync(join(candidate, 'shared.yaml'), 'utf8').replace('when: device.accounts_24h >= 6', 'when: device.accounts_24h >= 2')
    writeFileSync(join(candidate, 'shared.yaml'), shared)
  })
  afterAll(() => model.close())

  it('finds no change between a rule set and itself', async () => {
    const r = await backtest(lines, { a: 'rules', b: 'rules', model })
    expect(r.changed).toBe(0)
    expect(r.a.hits).toEqual(r.b.hits)
    expect(r.a.version).toBe(r.b.version)
  })

  it('shows what a stricter rule would do: more hits, changed decisions with both sides’ reasons', async () => {
    const r = await backtest(lines, { a: 'rules', b: candidate, model, top: 5 })
    expect(r.a.version).not.toBe(r.b.version)
    expect(r.b.hits['shared.device-many-accounts']!).toBeGreaterThan(r.a.hits['shared.device-many-accounts'] ?? 0)
    expect(r.changed).toBeGreaterThan(0)
    expect(r.top.length).toBeLessThanOrEqual(5)
    for (const c of r.top) expect(c.a.decision).not.toBe(c.b.decision)
    expect(r.top.some((c) => c.b.reasons.includes('DEVICE_MANY_ACCOUNTS'))).toBe(true)
    expect(r.b.legit_not_allowed).toBeGreaterThanOrEqual(r.a.legit_not_allowed)
    expect(r.a.fraud + r.a.legit).toBe(lines.length)
    expect(formatBacktest(r)).toMatch(/shared\.device-many-accounts\s+\d+\s+\d+\s+[\d.]+% \/ [\d.]+%\s+[\d.]+% \/ [\d.]+%\s+\*/)
    const html = backtestHtml(r)
    expect(html).toContain('<svg')
    expect(html).toContain('shared.device-many-accounts')
  })
})
