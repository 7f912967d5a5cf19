import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluateRules } from '../../src/rules/evaluate.js'
import { loadRuleSet, RuleLoadError, type RuleError } from '../../src/rules/ruleset.js'

function dirWith(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'bouncer-rules-'))
  // the shipped counters unless the test brings its own
  for (const [name, text] of Object.entries({ 'counters.yaml': readFileSync('rules/counters.yaml', 'utf8'), ...files })) {
    mkdirSync(join(d, name, '..'), { recursive: true })
    writeFileSync(join(d, name), text)
  }
  return d
}

function errorsOf(files: Record<string, string>): RuleError[] {
  try {
    loadRuleSet(dirWith(files))
  } catch (err) {
    if (err instanceof RuleLoadError) return err.errors
    throw err
  }
  throw new Error('expected the rule set to be rejected')
}

const rule = (over: string) => `rules:
  - id: t.one
    event: login
    when: ip.login_failures_10m >= 3
    action: challenge
    code: T_ONE
    description: test rule
${over}`

describe('rule set loading', () => {
  it('loads the shipped rules with a content version', () => {
    const set = loadRuleSet('rules')
    expect(set.rules.length).toBeGreaterThan(15)
    expect(set.version).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(set.byEvent.login.every((r) => r.events.includes('login'))).toBe(true)
    expect(set.lists.hostingAsns.has(16509)).toBe(true)
  })

  it('gives the same version for the same files and a new one for any change', () => {
    const a = loadRuleSet(dirWith({ 'login.yaml': rule('') }))
    const b = loadRuleSet(dirWith({ 'login.yaml': rule('') }))
    const c = loadRuleSet(dirWith({ 'login.yaml': rule('    score: 5\n') }))
    expect(a.version).toBe(b.version)
    expect(c.version).not.toBe(a.version)
  })

  it('names file, line and a suggestion for an unknown feature', () => {
    const [e] = errorsOf({ 'login.yaml': rule('').replace('ip.login_failures_10m', 'ip.login_failure_10m') })
    expect(e).toMatchObject({ rule: 't.one', line: 4 })
    expect(e!.file).toMatch(/login\.yaml$/)
    expect(e!.message).toContain('unknown feature `ip.login_failure_10m`, did you mean `ip.login_failures_10m`?')
  })

  it('refuses a rule reading a derived feature whose counters were deleted, naming what it lacks', () => {
    const counters = readFileSync('rules/counters.yaml', 'utf8').replace(/ {2}- name: site\.logins?(_failures)?\n( {4}.*\n)+/g, '')
    expect(counters).not.toContain('site.')
    const [e] = errorsOf({ 'counters.yaml': counters, 'login.yaml': rule('').replace('ip.login_failures_10m >= 3', 'site.login_failure_ratio_10m >= 0.5') })
    expect(e).toMatchObject({ rule: 't.one', line: 4 })
    expect(e!.message).toBe('feature `site.login_failure_ratio_10m` has no source: it is derived from `site.logins_10m`, `site.login_failures_10m`, which no counter in counters.yaml declares')
  })

  it('refuses the forms that would match an event lacking a number, and keeps the safe ones', () => {
    // with no device, device.accounts_24h is absent (NaN): these would be true for every event without a device
    for (const when of ['device.accounts_24h != 6', '!(device.accounts_24h >= 6)', 'ua.automation || !(ip.hosting && device.accounts_24h > 2)']) {
      const [e] = errorsOf({ 'login.yaml': rule('').replace('ip.login_failures_10m >= 3', JSON.stringify(when)) })
      expect(e!.message, when).toMatch(/is true for an event without device\.accounts_24h/)
    }
    for (const when of ['device.accounts_24h < 6', '!ua.automation', '!(ip.hosting && ua.automation)', "device.platform != 'web'", '!has(device.accounts_24h) || device.accounts_24h < 6']) {
      expect(() => loadRuleSet(dirWith({ 'login.yaml': rule('').replace('ip.login_failures_10m >= 3', JSON.stringify(when)) })), when).not.toThrow()
    }
  })

  it('reports CEL syntax errors at the condition', () => {
    const [e] = errorsOf({ 'login.yaml': rule('').replace('>= 3', '>= ') })
    expect(e).toMatchObject({ rule: 't.one', line: 4 })
    expect(e!.message).toMatch(/invalid condition/)
  })

  it('rejects a non-boolean condition', () => {
    const [e] = errorsOf({ 'login.yaml': rule('').replace('ip.login_failures_10m >= 3', 'ip.login_failures_10m') })
    expect(e!.message).toMatch(/invalid condition|boolean/)
  })

  it('reports a bad action and an unknown field with their lines', () => {
    const errs = errorsOf({ 'login.yaml': rule('    colour: red\n').replace('action: challenge', 'action: block') })
    expect(errs.map((e) => e.message).join('\n')).toMatch(/action/)
    expect(errs.map((e) => e.message).join('\n')).toMatch(/unknown field\(s\) colour/)
    expect(errs.find((e) => /action/.test(e.message))!.line).toBe(5)
  })

  it('reports YAML syntax errors with line and column', () => {
    const [e] = errorsOf({ 'login.yaml': 'rules:\n  - id: [unclosed\n' })
    expect(e!.message).toMatch(/^YAML/)
    expect(e!.line).toBeGreaterThanOrEqual(2)
  })

  it('rejects duplicate rule ids across files', () => {
    const errs = errorsOf({ 'a.yaml': rule(''), 'b.yaml': rule('') })
    expect(errs[0]!.message).toMatch(/duplicate rule id/)
  })

  it('ignores the cases files beside the rules', () => {
    const set = loadRuleSet(dirWith({ 'login.yaml': rule(''), 'login.cases.yaml': 'not: [a rule file' }))
    expect(set.rules).toHaveLength(1)
  })
})

describe('rule evaluation', () => {
  const set = loadRuleSet(dirWith({ 'login.yaml': rule('') + `  - id: t.shadow
    event: login
    when: ua.automation
    action: deny
    mode: shadow
    code: T_SHADOW
    description: shadow
` }))

  it('matches when the condition is true', () => {
    expect(evaluateRules(set, 'login', { 'ip.login_failures_10m': 3 }).matched.map((r) => r.id)).toEqual(['t.one'])
    expect(evaluateRules(set, 'login', { 'ip.login_failures_10m': 2 }).matched).toEqual([])
  })

  it('treats a comparison with a missing feature as no match', () => {
    expect(evaluateRules(set, 'login', {}).matched).toEqual([])
  })

  it('keeps shadow matches apart from enforced ones', () => {
    const o = evaluateRules(set, 'login', { 'ua.automation': true, 'ip.login_failures_10m': 9 })
    expect(o.matched.map((r) => r.id)).toEqual(['t.one'])
    expect(o.shadow.map((r) => r.id)).toEqual(['t.shadow'])
  })

  it('runs only the rules of the event door', () => {
    expect(evaluateRules(set, 'registration', { 'ip.login_failures_10m': 99 }).matched).toEqual([])
  })
})

describe('missing-feature semantics', () => {
  const set = loadRuleSet(dirWith({ 'login.yaml': `rules:
  - id: t.lt
    event: login
    when: ip.login_failures_10m < 5
    action: challenge
    code: T_LT
    description: less-than on a possibly missing counter
  - id: t.eq
    event: login
    when: device.accounts_24h == 0.0
    action: challenge
    code: T_EQ
    description: equality on a possibly missing counter
  - id: t.or
    event: login
    when: ua.automation || device.accounts_24h >= 6
    action: challenge
    code: T_OR
    description: a disjunction where one side is missing
  - id: t.has
    event: login
    when: "!has(device.accounts_24h)"
    action: review
    code: T_HAS
    description: presence test
` }))
  const ids = (flat: Record<string, number | boolean | string>) => evaluateRules(set, 'login', flat).matched.map((r) => r.id)

  it('makes every comparison with an absent feature false, in either direction', () => {
    expect(ids({})).toEqual(['t.has'])
  })
  it('still lets the other side of a disjunction match', () => {
    expect(ids({ 'ua.automation': true })).toEqual(['t.or', 't.has'])
  })
  it('sees present values normally', () => {
    expect(ids({ 'ip.login_failures_10m': 2, 'device.accounts_24h': 0 })).toEqual(['t.lt', 't.eq'])
    expect(ids({ 'device.accounts_24h': 7 })).toEqual(['t.or'])
  })
})
