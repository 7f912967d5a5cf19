import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_THRESHOLDS } from '../../../src/scoring/combine.js'
import { runCases } from '../../../src/offline/rules/cases.js'
import { Model } from '../../../src/model/model.js'
import { loadRuleSet } from '../../../src/rules/ruleset.js'

const RULE = `rules:
  - id: t.fail
    event: login
    when: ip.login_failures_10m >= 5
    action: deny
    code: T_FAIL
    description: failures
  - id: t.other
    event: login
    when: ua.automation
    action: challenge
    code: T_OTHER
    description: other
`

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'bouncer-cases-'))
  for (const [n, t] of Object.entries({ 'counters.yaml': readFileSync('rules/counters.yaml', 'utf8'), ...files })) writeFileSync(join(d, n), t)
  return d
}

describe('rule cases', () => {
  it('every shipped rule has a case, and every shipped case passes', async () => {
    const set = loadRuleSet('rules')
    const model = await Model.load('models/risk-gbt', set.catalog)
    const report = await runCases('rules', set, model.card.thresholds, model)
    await model.close()
    expect(report.errors).toEqual([])
    expect(report.uncovered).toEqual([])
    expect(report.results.filter((r) => !r.ok)).toEqual([])
    expect(report.results.length).toBeGreaterThanOrEqual(loadRuleSet('rules').rules.length)
  })

  it('reports a failing expectation with the case line', async () => {
    const d = dir({
      'login.yaml': RULE,
      'login.cases.yaml': `cases:
  - name: five failures deny
    event: login
    features: { ip.login_failures_10m: 5 }
    expect: { matched: [t.fail], decision: deny }
  - name: wrong on purpose
    event: login
    features: { ip.login_failures_10m: 1 }
    expect: { matched: [t.fail] }
`,
    })
    const r = await runCases(d, loadRuleSet(d), DEFAULT_THRESHOLDS)
    expect(r.results.map((x) => x.ok)).toEqual([true, false])
    expect(r.results[1]!.line).toBe(6)
    expect(r.results[1]!.problems[0]).toMatch(/expected `t.fail` to match/)
  })

  it('scores an event case through the real stages: prior events feed the counters the rule reads', async () => {
    const d = dir({
      'login.yaml': RULE,
      'login.cases.yaml': `cases:
  - name: the fifth failure from one address
    before:
      - repeat: 4
        request: { event: login, ip: 203.0.113.9, account_id: 'victim-{i}', outcome: failure }
    request: { event: login, ip: 203.0.113.9, account_id: victim-9, outcome: failure }
    expect: { matched: [t.fail], decision: deny }
  - name: the same failure with nothing before it
    request: { event: login, ip: 203.0.113.9, account_id: victim-9, outcome: failure }
    expect: { matched: [t.fail] }
  - name: a body the API would refuse
    request: { event: login, ip: not-an-ip, account_id: a, outcome: failure }
    expect: { not_matched: [t.fail] }
`,
    })
    const r = await runCases(d, loadRuleSet(d), DEFAULT_THRESHOLDS)
    expect(r.errors).toEqual([])
    expect(r.results.map((x) => x.ok)).toEqual([true, false, false])
    expect(r.results[1]!.problems[0]).toMatch(/expected `t.fail` to match/)
    expect(r.results[2]!.problems[0]).toMatch(/^request: invalid ip/)
  })

  it('names rules that no case expects to match', async () => {
    const d = dir({ 'login.yaml': RULE, 'login.cases.yaml': 'cases:\n  - name: a\n    event: login\n    features: { ip.login_failures_10m: 9 }\n    expect: { matched: [t.fail] }\n' })
    expect((await runCases(d, loadRuleSet(d), DEFAULT_THRESHOLDS)).uncovered.map((u) => u.id)).toEqual(['t.other'])
  })

  it('catches a misspelt feature or rule id in a case', async () => {
    const d = dir({ 'login.yaml': RULE, 'login.cases.yaml': 'cases:\n  - name: typo\n    event: login\n    features: { ip.login_failure_10m: 9 }\n    expect: { matched: [t.fial] }\n' })
    const problems = (await runCases(d, loadRuleSet(d), DEFAULT_THRESHOLDS)).results[0]!.problems.join('\n')
    expect(problems).toContain('did you mean `ip.login_failures_10m`?')
    expect(problems).toContain('no rule `t.fial`')
  })
})
