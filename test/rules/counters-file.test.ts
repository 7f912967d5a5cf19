import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { parseCounters } from '../../src/rules/counters-file.js'
import { loadRuleSet, RuleLoadError } from '../../src/rules/ruleset.js'
import { createRuntime } from '../../src/runtime.js'
import { ADMIN, AUTH, claim, testConfig } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }
const SHIPPED = readFileSync('rules/counters.yaml', 'utf8')

/** A copy of the shipped rules with `edit` applied to counters.yaml and `extra` files added. */
function rulesWith(edit: (counters: string) => string, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-counters-'))
  cpSync('rules', dir, { recursive: true })
  writeFileSync(join(dir, 'counters.yaml'), edit(SHIPPED))
  for (const [f, t] of Object.entries(extra)) writeFileSync(join(dir, f), t)
  return dir
}

function errorsOf(text: string): string[] {
  return parseCounters(text, 'counters.yaml').errors.map((e) => `${e.file}:${e.line} ${e.message}`)
}

const one = (body: string) => `counters:\n  - name: t.thing\n    description: a test counter\n${body}`

describe('counters.yaml', () => {
  it('declares every shipped counter, and each becomes one feature per window', () => {
    const { counters, errors } = parseCounters(SHIPPED, 'rules/counters.yaml')
    expect(errors).toEqual([])
    expect(counters.length).toBeGreaterThanOrEqual(22)
    const catalog = loadRuleSet('rules').catalog
    for (const c of counters) for (const w of c.windows) expect(catalog.index.get(`${c.name}_${w}`)?.type, `${c.name}_${w}`).toBe('number')
  })

  it.each([
    ['an unknown key field', one('    events: [login]\n    key: [fingerprint]\n    windows: [1h]\n'), /counters.yaml:5 .*unknown key field `fingerprint`/],
    ['a window it cannot keep', one('    events: [login]\n    key: [ip]\n    windows: [90s]\n'), /counters.yaml:6 .*windows.0: a window is minutes, hours or days/],
    ['a distinct member that is part of the key', one('    events: [login]\n    key: [ip, account]\n    distinct: account\n    windows: [1h]\n'), /counters.yaml:6 .*always count 1/],
    ['a sum of a string', one('    events: [login]\n    key: [ip]\n    sum: ua.browser\n    windows: [1h]\n'), /counters.yaml:6 .*`sum` needs a numeric request feature; `ua.browser` is a string/],
    ['a filter on a velocity feature', one('    events: [login]\n    key: [ip]\n    where: ip.login_failures_10m > 3\n    windows: [1h]\n'), /counters.yaml:6 .*where: unknown feature `ip.login_failures_10m`/],
    ['a filter with a misspelt feature', one('    events: [login]\n    key: [ip]\n    where: login.failur\n    windows: [1h]\n'), /did you mean `login.failure`/],
    ['an unknown field', one('    events: [login]\n    key: [ip]\n    window: [1h]\n'), /counters.yaml:2 unknown field\(s\) window/],
    ['a duplicate name', `counters:\n  - { name: t.a, description: x, events: [login], key: [ip], windows: [1h] }\n  - { name: t.a, description: y, events: [login], key: [ip], windows: [1h] }\n`, /counters.yaml:3 .*duplicate counter name \(also at line 2\)/],
    ['a name that is a request feature', `counters:\n  - { name: ua, description: x, events: [login], key: [ip], windows: [1h] }\n`, /name: namespace.name/],
    ['broken YAML', 'counters:\n  - name: [oops\n', /counters.yaml:\d+ YAML:/],
  ])('reports %s with file and line', (_what, text, re) => {
    const errs = errorsOf(text)
    expect(errs.join('\n')).toMatch(re)
  })

  it('caps the keys one entity needs per event, since that is one Redis call', () => {
    const many = Array.from({ length: 17 }, (_, i) => `  - { name: t.c${i}, description: x, events: [login], key: [device], windows: [10m, 1h, 24h, 7d] }`).join('\n')
    expect(errorsOf(`counters:\n${many}\n`).join('\n')).toMatch(/keyed on `device` now need 17 keys per event; at most 16/)
  })

  it('refuses a rule that reads a counter nobody declares, naming the near miss', () => {
    const dir = rulesWith((c) => c, { 'extra.yaml': 'rules:\n  - id: t.x\n    event: login\n    when: ip.login_failure_10m > 3\n    action: review\n    code: T_X\n    description: x\n' })
    expect(() => loadRuleSet(dir)).toThrow(RuleLoadError)
    expect(() => loadRuleSet(dir)).toThrow(/extra.yaml:4:\d+ \[t.x\] unknown feature `ip.login_failure_10m`, did you mean `ip.login_failures_10m`\?/)
  })

  it('lets a risk team add a counter, a sum and a filter, and a rule on them, without TypeScript', async () => {
    const dir = rulesWith(
      (c) =>
        c +
        [
          '  - name: coupon.big_claims',
          '    description: claims of coupons worth 100.00 or more, per device',
          '    events: [coupon_claim]',
          '    key: [device.id]',
          '    where: coupon.value >= 10000',
          '    windows: [1h]',
          '  - name: account.claimed_total',
          '    description: face value claimed by this account',
          '    events: [coupon_claim]',
          '    key: [account_id]',
          '    sum: coupon.value',
          '    windows: [24h]',
          '',
        ].join('\n'),
      { 'extra.yaml': 'rules:\n  - id: t.big\n    event: coupon_claim\n    when: coupon.big_claims_1h >= 3\n    action: review\n    code: BIG_COUPONS\n    description: many big coupons from one device\n' },
    )
    const config = testConfig({ RULES_DIR: dir })
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    try {
      const device = { id: `dev-${Date.now()}`, platform: 'ios' }
      const account = `acct-${Date.now()}`
      const send = async (value: number) => {
        const res = await app.inject({ method: 'POST', url: '/v1/score?explain=1', headers: AUTH, payload: claim({ device, account_id: account, value, coupon_id: `c-${value}` }) })
        expect(res.statusCode).toBe(200)
        return res.json()
      }
      const a = await send(20000)
      expect(a.features['coupon.big_claims_1h']).toBe(1)
      expect(a.features['account.claimed_total_24h']).toBe(20000)
      const b = await send(500) // small: read, not counted
      expect(b.features['coupon.big_claims_1h']).toBe(1)
      expect(b.features['account.claimed_total_24h']).toBe(20500)
      await send(15000)
      const d = await send(10000)
      expect(d.features['coupon.big_claims_1h']).toBe(3)
      expect(d.rules.matched).toContain('t.big')
    } finally {
      await app.close()
      await runtime.close()
    }
  })

  it('refuses a counters change that drops a feature the model in force reads, and keeps serving', async () => {
    const dir = rulesWith((c) => c)
    const config = testConfig({ RULES_DIR: dir })
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: config.adminKeys! })
    try {
      const before = runtime.policy.current.rules.version
      // rename a counter the shipped model uses: rules still compile, the model would lose its inputs
      writeFileSync(join(dir, 'counters.yaml'), SHIPPED.replace('name: ip.claims\n', 'name: ip.coupon_claims\n'))
      const res = await app.inject({ method: 'POST', url: '/v1/rules/reload', headers: ADMIN })
      expect(res.statusCode).toBe(422)
      expect(JSON.stringify(res.json())).toMatch(/counters.yaml.*model risk-gbt@.*`ip.claims_1h`/)
      expect(runtime.policy.current.rules.version).toBe(before)
      const ok = await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: claim() })
      expect(ok.statusCode).toBe(200)
    } finally {
      await app.close()
      await runtime.close()
    }
  })
})
