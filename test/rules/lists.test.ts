import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluateRules } from '../../src/rules/evaluate.js'
import { parseList } from '../../src/rules/lists.js'
import { loadRuleSet, RuleLoadError } from '../../src/rules/ruleset.js'
import { Rng } from '../../src/offline/sim/random.js'

const list = (name: string, text: string) => {
  const r = parseList(name, text)
  if (!r.list) throw new Error(JSON.stringify(r.errors))
  return r
}

describe('lists', () => {
  it('matches IPv4 and IPv6 addresses and CIDR ranges', () => {
    const { list: l, errors } = list('x_ips', '10.0.0.0/8\n192.0.2.7\n2001:db8::/32\n240e:3b0:1:2::/64 # one subscriber\n')
    expect(errors).toEqual([])
    for (const ip of ['10.1.2.3', '192.0.2.7', '2001:db8:ffff::1', '240e:3b0:1:2:abcd::1', '::ffff:10.9.9.9', '::ffff:a09:909', '2001:DB8::1']) expect(l!.has(ip), ip).toBe(true)
    for (const ip of ['11.0.0.1', '192.0.2.8', '2001:db9::1', '240e:3b0:1:3::1', 'not-an-ip']) expect(l!.has(ip), ip).toBe(false)
  })

  it('agrees with a naive scan on 100k random ranges', () => {
    const r = new Rng(3)
    const ranges: [number, number][] = []
    const lines: string[] = []
    for (let i = 0; i < 100_000; i++) {
      const bits = r.int(16, 32)
      const base = (Math.floor(r.next() * 2 ** 32) >>> 0) & ((0xffffffff << (32 - bits)) >>> 0)
      const start = base >>> 0
      ranges.push([start, (start + 2 ** (32 - bits) - 1) >>> 0])
      lines.push(`${start >>> 24}.${(start >>> 16) & 255}.${(start >>> 8) & 255}.${start & 255}/${bits}`)
    }
    const { list: l } = list('big_ips', lines.join('\n'))
    for (let i = 0; i < 2000; i++) {
      const x = Math.floor(r.next() * 2 ** 32) >>> 0
      const ip = `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`
      expect(l!.has(ip), ip).toBe(ranges.some(([a, b]) => x >= a && x <= b))
    }
  })

  it('matches a domain and its subdomains, case-insensitively', () => {
    const { list: l } = list('x_domains', 'evil.example\n')
    expect(['evil.example', 'mx.EVIL.example'].map((d) => l!.has(d))).toEqual([true, true])
    expect(['notevil.example', 'example'].map((d) => l!.has(d))).toEqual([false, false])
  })

  it('reports bad entries with their line', () => {
    expect(parseList('x_ips', '1.2.3.4\n1.2.3.999\n10.0.0.0/40\n').errors.map((e) => e.line)).toEqual([2, 3])
    expect(parseList('x_asns', '13335\nASxyz\n').errors.map((e) => e.line)).toEqual([2])
    expect(parseList('mystery', '').errors[0]!.message).toMatch(/must end in/)
  })
})

describe('lists in rules', () => {
  function dir(lists: Record<string, string>, when: string): string {
    const d = mkdtempSync(join(tmpdir(), 'bouncer-lists-'))
    mkdirSync(join(d, 'lists'))
    for (const [n, t] of Object.entries(lists)) writeFileSync(join(d, 'lists', n), t)
    writeFileSync(join(d, 'login.yaml'), `rules:\n  - id: t.list\n    event: login\n    when: ${when}\n    action: deny\n    code: T_LIST\n    description: list\n`)
    return d
  }

  it('reads membership from the rule set’s own lists', () => {
    const set = loadRuleSet(dir({ 'bad_ips.txt': '198.51.100.0/24\n' }, "ip.address in list('bad_ips')"))
    expect(evaluateRules(set, 'login', { 'ip.address': '198.51.100.9' }).matched).toHaveLength(1)
    expect(evaluateRules(set, 'login', { 'ip.address': '198.51.101.9' }).matched).toHaveLength(0)
    expect(evaluateRules(set, 'login', {}).matched).toHaveLength(0)
  })

  it('refuses a rule naming a list that does not exist, and a bad list entry, with file and line', () => {
    try {
      loadRuleSet(dir({ 'bad_ips.txt': '1.2.3.4\nnope\n' }, "ip.address in list('blocked_ipz')"))
      throw new Error('expected a RuleLoadError')
    } catch (err) {
      const errors = (err as RuleLoadError).errors
      expect(errors.find((e) => e.file.endsWith('bad_ips.txt'))).toMatchObject({ line: 2 })
      expect(errors.find((e) => e.rule === 't.list')!.message).toMatch(/unknown list `blocked_ipz`/)
    }
  })

  it('changes the rules version when a list changes', () => {
    const a = loadRuleSet(dir({ 'bad_ips.txt': '1.2.3.4\n' }, "ip.address in list('bad_ips')"))
    const b = loadRuleSet(dir({ 'bad_ips.txt': '1.2.3.5\n' }, "ip.address in list('bad_ips')"))
    expect(a.version).not.toBe(b.version)
  })
})
