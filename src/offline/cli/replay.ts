import { createReadStream, createWriteStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { ModelLoadError, Model } from '../../model/model.js'
import { replay } from '../replay/replay.js'
import { loadRuleSet, RuleLoadError } from '../../rules/ruleset.js'
import { cliArgs } from './args.js'

/**
 * npm run replay -- --events FILE.ndjson [--rules DIR] [--model DIR] [--out FILE] [--explain]
 * One response per line (errors as the API's error object with `event_id` and `line`), a summary on stderr.
 */
const a = cliArgs(process.argv.slice(2), { events: 'string', rules: 'string', model: 'string', out: 'string', explain: 'boolean' })
if (!a.events) {
  process.stderr.write('usage: npm run replay -- --events FILE.ndjson [--rules DIR] [--model DIR] [--out FILE] [--explain]\n')
  process.exit(2)
}
let model: Model
try {
  model = await Model.load((a.model as string | undefined) ?? process.env.MODEL_DIR ?? 'models/risk-gbt', loadRuleSet((a.rules as string | undefined) ?? 'rules').catalog)
} catch (err) {
  process.stderr.write(`${err instanceof ModelLoadError || err instanceof RuleLoadError ? err.message : String(err)}\n`)
  process.exit(1)
}
const out = a.out ? createWriteStream(a.out as string) : process.stdout
const lines = createInterface({ input: createReadStream(a.events as string), crlfDelay: Infinity })

const byEvent: Record<string, Record<string, number>> = {}
const hits: Record<string, number> = {}
const shadowHits: Record<string, number> = {}
const labelled = { fraud: 0, fraudNotAllowed: 0, legit: 0, legitNotAllowed: 0 }
let errors = 0
try {
  for await (const row of replay(lines, { rules: (a.rules as string | undefined) ?? process.env.RULES_DIR ?? 'rules', model, explain: a.explain === true, progress: { label: `replaying ${String(a.events)}` } })) {
    if (!row.ok) {
      errors++
      out.write(JSON.stringify({ ...(row.eventId ? { event_id: row.eventId } : {}), line: row.line, ...row.error }) + '\n')
      continue
    }
    const r = row.response
    out.write(JSON.stringify(r) + '\n')
    const e = (byEvent[r.event] ??= { allow: 0, challenge: 0, review: 0, deny: 0 })
    e[r.decision] = (e[r.decision] ?? 0) + 1
    for (const id of r.rules.matched) hits[id] = (hits[id] ?? 0) + 1
    for (const id of r.rules.shadow_matched) shadowHits[id] = (shadowHits[id] ?? 0) + 1
    const stopped = r.decision === 'allow' ? 0 : 1
    if (row.label === 'fraud') {
      labelled.fraud++
      labelled.fraudNotAllowed += stopped
    } else if (row.label === 'legit') {
      labelled.legit++
      labelled.legitNotAllowed += stopped
    }
  }
} catch (err) {
  if (err instanceof RuleLoadError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }
  throw err
}
if (out !== process.stdout) await new Promise<void>((res) => out.end(() => res()))
await model.close()

const pct = (n: number, d: number) => (d ? `${((n / d) * 100).toFixed(2)}%` : '—')
const s: string[] = ['decisions by event:']
for (const [ev, c] of Object.entries(byEvent).sort()) s.push(`  ${ev.padEnd(13)} ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join('  ')}`)
if (errors) s.push(`invalid lines: ${errors}`)
if (labelled.fraud + labelled.legit > 0) {
  s.push(`labelled: fraud not allowed ${pct(labelled.fraudNotAllowed, labelled.fraud)} of ${labelled.fraud}; legit not allowed ${pct(labelled.legitNotAllowed, labelled.legit)} of ${labelled.legit}`)
}
s.push('hits per rule:')
for (const [id, n] of Object.entries(hits).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))) s.push(`  ${String(n).padStart(7)}  ${id}`)
for (const [id, n] of Object.entries(shadowHits).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))) s.push(`  ${String(n).padStart(7)}  ${id} (shadow)`)
process.stderr.write(s.join('\n') + '\n')
