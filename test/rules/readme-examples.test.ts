import { cpSync, mkdtempSync, readFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_THRESHOLDS } from '../../src/scoring/combine.js'
import { runCases } from '../../src/offline/rules/cases.js'
import { parseCounters } from '../../src/rules/counters-file.js'
import { REQUEST_CATALOG } from '../../src/features/catalog.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'

/** The worked examples in rules/README.md must work as written: added to the shipped rules, they compile and their cases pass. */
describe('rules/README.md worked examples', () => {
  it('compile and pass their cases', async () => {
    const text = readFileSync('rules/README.md', 'utf8')
    const section = text.slice(text.indexOf('## Worked examples'), text.indexOf('## Conditions'))
    const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
    expect(blocks).toHaveLength(6)
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-readme-'))
    cpSync('rules', dir, { recursive: true })
    const doors = ['registration', 'login', 'coupon_claim']
    doors.forEach((door, i) => {
      appendFileSync(join(dir, `${door}.yaml`), '\n' + blocks[2 * i]!)
      appendFileSync(join(dir, `${door}.cases.yaml`), '\n' + blocks[2 * i + 1]!)
    })
    const set = loadRuleSet(dir)
    const added = ['registration.disposable-from-cloud', 'login.success-after-prefix-stuffing', 'coupon.new-accounts-one-card']
    for (const id of added) expect(set.rules.find((r) => r.id === id)?.compiled, id).toBe(true)
    const report = await runCases(dir, set, DEFAULT_THRESHOLDS)
    expect(report.errors).toEqual([])
    expect(report.results.filter((r) => !r.ok)).toEqual([])
    expect(report.uncovered).toEqual([])
  })

  it('declares a valid counter in the Counters section, the same kind the shipped file may hold', () => {
    const text = readFileSync('rules/README.md', 'utf8')
    const section = text.slice(text.indexOf('## Counters'), text.indexOf('## Lists'))
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!
    // the shipped file already declares this counter; the example must parse, compile its filter and sum
    const renamed = block.replace('name: account.claimed_value', 'name: account.claimed_value_example')
    const { counters, errors } = parseCounters(renamed, 'rules/README.md')
    expect(errors).toEqual([])
    expect(counters[0]).toMatchObject({ aggregate: 'sum', of: 'coupon.value', key: ['account'], windows: ['24h'] })
    expect(counters[0]!.where!.test(REQUEST_CATALOG.toSlots({ 'ip.private': false }))).toBe(true)
    expect(counters[0]!.where!.test(REQUEST_CATALOG.toSlots({ 'ip.private': true }))).toBe(false)
  })
})
