import { performance } from 'node:perf_hooks'
import { celEnv, parse, plan } from '@bufbuild/cel'
import { Environment } from '@marcbachmann/cel-js'
import { celContext } from '../src/rules/evaluate.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { machine, writeResult } from './machine.js'

/**
 * The two CEL implementations on npm, on the shipped rule conditions, same context, same process.
 *   npm run bench:cel
 */
const shipped = loadRuleSet('rules')
const conditions = shipped.rules.map((r) => r.when)
const flat: Record<string, number | boolean | string> = {
  'ip.hosting': true, 'ip.registrations_1h': 4, 'ip.prefix_registrations_1h': 12, 'device.accounts_24h': 3, 'device.registrations_24h': 2,
  'email.disposable': false, 'email.domain': 'qq.com', 'email.accounts_7d': 1, 'phone.virtual_operator': true, 'phone.accounts_7d': 1,
  'behavior.fill_ms': 5000, 'behavior.pointer_moves': 10, 'behavior.keystrokes': 20, 'behavior.invalid': false, 'ua.automation': false, 'ua.bot': false, 'ua.present': true,
  'device.headless': false, 'device.emulator': false, 'device.ua_mismatch': false, 'ip.private': false,
}
const ctx = celContext(flat, shipped.catalog)

const marc = new Environment()
for (const ns of Object.keys(ctx)) marc.registerVariable(ns, 'map')
const marcFns = conditions.map((c) => marc.parse(c))
const bufEnv = celEnv()
const bufFns = conditions.map((c) => plan(bufEnv, parse(c)))

// Both must agree before their speed means anything.
for (let i = 0; i < conditions.length; i++) {
  const a = marcFns[i]!(ctx)
  const b = bufFns[i]!(ctx as never)
  if (a !== b) throw new Error(`implementations disagree on ${conditions[i]}: ${String(a)} vs ${String(b)}`)
}

function measure(fns: ((c: never) => unknown)[], rounds: number): number {
  let sink = 0
  for (let w = 0; w < 2000; w++) for (const f of fns) if (f(ctx as never) === true) sink++
  const t = performance.now()
  for (let r = 0; r < rounds; r++) for (const f of fns) if (f(ctx as never) === true) sink++
  const ns = ((performance.now() - t) * 1e6) / (rounds * fns.length)
  if (sink < 0) console.log(sink)
  return ns
}
const marcNs = measure(marcFns as never, 20_000)
const bufNs = measure(bufFns as never, 2_000)
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${conditions.length} shipped rule conditions`)
console.log(`@marcbachmann/cel-js  ${marcNs.toFixed(0)} ns per condition`)
console.log(`@bufbuild/cel         ${bufNs.toFixed(0)} ns per condition   (${(bufNs / marcNs).toFixed(1)}x slower)`)
console.log(`written to ${writeResult('cel-libraries', { conditions: conditions.length, ns_per_condition: { '@marcbachmann/cel-js': marcNs, '@bufbuild/cel': bufNs }, ratio: bufNs / marcNs })}`)
