import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Engine } from 'json-rules-engine'
import { evaluateRules } from '../src/rules/evaluate.js'
import type { Features } from '../src/features/extract.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { Rng } from '../src/offline/sim/random.js'
import { machine, writeResult } from './machine.js'

/**
 * 200 realistic rules over ~60 features, compiled by the production loader, against the same rules in
 * json-rules-engine, on the same events, in one process. Both must agree on every match first.
 *   npm run bench:rules
 */
const r = new Rng(2026)
const FEATURES = loadRuleSet('rules').catalog.features
const nums = FEATURES.filter((f) => f.type === 'number' && f.name !== 'model.score').map((f) => f.name)
const bools = FEATURES.filter((f) => f.type === 'bool').map((f) => f.name)
const strs: [string, string[]][] = [
  ['email.domain', ['qq.com', '163.com', 'gmail.com', 'mailinator.com', 'yopmail.com', 'outlook.com']],
  ['device.platform', ['web', 'ios', 'android', 'mini_program']],
  ['ua.os', ['ios', 'android', 'windows', 'mac os', 'linux']],
  ['login.method', ['password', 'sms', 'oauth', 'passkey']],
  ['phone.country', ['CN', 'US', 'HK', 'VN', 'PH']],
]
type Cond = { cel: string; jre: Record<string, unknown> }
const ge = (f: string, n: number): Cond => ({ cel: `${f} >= ${n}`, jre: { fact: f, operator: 'greaterThanInclusive', value: n } })
const lt = (f: string, n: number): Cond => ({ cel: `${f} < ${n}`, jre: { fact: f, operator: 'lessThan', value: n } })
const is = (f: string, v: boolean): Cond => ({ cel: v ? f : `!${f}`, jre: { fact: f, operator: 'equal', value: v } })
const oneOf = (f: string, vs: string[]): Cond => ({ cel: `${f} in [${vs.map((v) => `"${v}"`).join(', ')}]`, jre: { fact: f, operator: 'in', value: vs } })
const all = (...cs: Cond[]): Cond => ({ cel: cs.map((c) => `(${c.cel})`).join(' && '), jre: { all: cs.map((c) => c.jre) } })
const any = (...cs: Cond[]): Cond => ({ cel: cs.map((c) => `(${c.cel})`).join(' || '), jre: { any: cs.map((c) => c.jre) } })
const num = () => r.pick(nums)
const bool = () => r.pick(bools)
const str = () => r.pick(strs)
const templates: (() => Cond)[] = [
  () => ge(num(), r.int(2, 30)),
  () => all(ge(num(), r.int(2, 30)), is(bool(), true)),
  () => any(ge(num(), r.int(5, 50)), ge(num(), r.int(5, 50))),
  () => all(is(bool(), true), is(bool(), false)),
  () => { const [f, vs] = str(); return oneOf(f, vs.slice(0, r.int(1, 3))) },
  () => all(ge(num(), r.int(2, 20)), lt(num(), r.int(5, 100)), is(bool(), true)),
  () => { const [f, vs] = str(); return all(oneOf(f, vs.slice(0, 2)), ge(num(), r.int(1, 10))) },
  () => any(all(is(bool(), true), ge(num(), r.int(3, 9))), all(is(bool(), true), lt(num(), r.int(1, 4)))),
]
const conds = Array.from({ length: 200 }, (_, i) => templates[i % templates.length]!())

const dir = mkdtempSync(join(tmpdir(), 'bouncer-bench-rules-'))
writeFileSync(join(dir, 'bench.yaml'), 'rules:\n' + conds.map((c, i) => `  - id: bench.r${i}\n    event: [registration, login, coupon_claim]\n    when: ${JSON.stringify(c.cel)}\n    action: ${r.pick(['challenge', 'review', 'deny'])}\n    code: BENCH_R${i}\n    description: bench rule ${i}\n`).join(''))
const set = loadRuleSet(dir)

const engine = new Engine([], { allowUndefinedFacts: true })
conds.forEach((c, i) => engine.addRule({ name: `bench.r${i}`, conditions: ('all' in c.jre || 'any' in c.jre ? c.jre : { all: [c.jre] }) as never, event: { type: `bench.r${i}` } }))

// 256 events with every feature present and realistic magnitudes: mostly small counts, some spikes.
const events: Features[] = Array.from({ length: 256 }, () => {
  const f: Features = {}
  for (const n of nums) f[n] = r.chance(0.9) ? r.int(0, 3) : r.int(4, 80)
  for (const b of bools) f[b] = r.chance(0.15)
  for (const [n, vs] of strs) f[n] = r.pick(vs)
  return f
})

// Agreement first.
for (const e of events) {
  const cel = evaluateRules(set, 'login', e).matched.map((x) => x.id).sort()
  const jre = (await engine.run(e)).events.map((x) => x.type).sort()
  if (JSON.stringify(cel) !== JSON.stringify(jre)) throw new Error(`engines disagree: ${cel.join(',')} vs ${jre.join(',')}`)
}
const avgMatches = events.reduce((s, e) => s + evaluateRules(set, 'login', e).matched.length, 0) / events.length

function timeSync(rounds: number): number {
  let sink = 0
  for (let w = 0; w < 2000; w++) sink += evaluateRules(set, 'login', events[w % events.length]!).matched.length
  const t = performance.now()
  for (let i = 0; i < rounds; i++) sink += evaluateRules(set, 'login', events[i % events.length]!).matched.length
  const ns = ((performance.now() - t) * 1e6) / rounds
  if (sink < 0) console.log(sink)
  return ns
}
async function timeJre(rounds: number): Promise<number> {
  for (let w = 0; w < 50; w++) await engine.run(events[w % events.length]!)
  const t = performance.now()
  for (let i = 0; i < rounds; i++) await engine.run(events[i % events.length]!)
  return ((performance.now() - t) * 1e6) / rounds
}
const celNs = timeSync(20_000)
const jreNs = await timeJre(300)
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${set.rules.length} rules over ${nums.length + bools.length + strs.length} features, ${avgMatches.toFixed(1)} matches per event on average`)
console.log(`bouncer (CEL, compiled once)  ${(celNs / 1000).toFixed(2)} µs per event for all rules (${(celNs / set.rules.length).toFixed(0)} ns per rule)`)
console.log(`json-rules-engine             ${(jreNs / 1000).toFixed(2)} µs per event`)
console.log(`ratio ${(jreNs / celNs).toFixed(1)}x   targets: <= 20 µs per event, >= 20x`)
console.log(`written to ${writeResult('rules-200', { rules: set.rules.length, features: nums.length + bools.length + strs.length, us_per_event: { bouncer: celNs / 1000, 'json-rules-engine': jreNs / 1000 }, ratio: jreNs / celNs })}`)
