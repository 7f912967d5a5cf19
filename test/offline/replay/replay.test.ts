import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Model } from '../../../src/model/model.js'
import { replay } from '../../../src/offline/replay/replay.js'
import { sharedSignalData } from '../../../src/signals/shared-data.js'
import { SHIPPED_CATALOG } from '../../helpers.js'
import { DEFAULT_PARAMS, simulate } from '../../../src/offline/sim/simulate.js'

async function run(lines: string[], model: Model): Promise<string> {
  let out = ''
  for await (const r of replay(lines, { rules: 'rules', model })) out += JSON.stringify(r.ok ? r.response : { line: r.line, ...r.error }) + '\n'
  return out
}

describe('replay', () => {
  let model: Model
  let lines: string[]
  beforeAll(async () => {
    model = await Model.load('models/risk-gbt', SHIPPED_CATALOG)
    lines = simulate(sharedSignalData().asn, { ...DEFAULT_PARAMS, seed: 77, scale: 0.03, days: 1, rushAtHour: 20 }).map((e) => JSON.stringify(e))
  })
  afterAll(() => model.close())

  it('gives the same output for the same input, byte for byte', async () => {
    expect(lines.length).toBeGreaterThan(300)
    const a = await run(lines, model)
    const b = await run(lines, model)
    expect(a).toBe(b)
    expect(a.split('\n').filter(Boolean)).toHaveLength(lines.length)
  })

  it('uses each event’s occurred_at as the clock', async () => {
    const base = { event: 'login', ip: '198.51.100.7', account_id: 'a1', outcome: 'failure' }
    const at = (id: string, t: string) => JSON.stringify({ ...base, event_id: id, occurred_at: t })
    const rows = []
    for await (const r of replay([at('1', '2026-11-11T00:00:00Z'), at('2', '2026-11-11T00:05:00Z'), at('3', '2026-11-11T00:30:00Z')], { rules: 'rules', model, explain: true })) rows.push(r)
    const f = rows.map((r) => (r.ok ? r.response.features!['ip.login_failures_10m'] : -1))
    // the third is 25 minutes after the second: the 10-minute window has emptied except for itself
    expect(f).toEqual([1, 2, 1])
  })

  it('reports an invalid line in place and keeps going', async () => {
    const rows = []
    for await (const r of replay(['{"event":"login"}', 'not json', lines[0]!], { rules: 'rules', model })) rows.push(r)
    expect(rows.map((r) => r.ok)).toEqual([false, false, true])
    expect(rows[0]!.ok === false && rows[0]!.error.issues.map((i) => i.path)).toContain('event_id')
  })

  it('the npm run replay command writes the same bytes in another process', async () => {
    mkdirSync('.tmp', { recursive: true })
    const input = `.tmp/replay-test-${process.pid}.ndjson`
    const out = `.tmp/replay-test-${process.pid}.out`
    const sample = lines.slice(0, 150)
    writeFileSync(input, sample.join('\n') + '\n')
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'src/offline/cli/replay.ts', '--events', input, '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(stdout).toBe('')
    expect(readFileSync(out, 'utf8')).toBe(await run(sample, model))
  })
})
