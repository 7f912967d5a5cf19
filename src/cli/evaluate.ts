import { writeFileSync } from 'node:fs'
import { evaluate, formatEvaluation, rankScore } from '../model/evaluate.js'
import { Model } from '../model/model.js'
import { loadRuleSet } from '../rules/ruleset.js'
import { formatHitRates, gateFailures, hitRates, LEGIT_HIT_LIMIT } from '../rules/hit-rates.js'
import { evaluationHtml, rocPoints } from '../model/report-chart.js'
import { runSimulated } from '../model/run-sim.js'
import { sharedSignalData } from '../runtime.js'
import { DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { parseArgs } from './args.js'

/**
 * npm run evaluate [-- --model DIR] [--rules DIR] [--seed N] [--start ISO] [--scale X] [--html FILE] [--json FILE] [--gate]
 * Held-out evaluation: traffic from a seed and time span the model was not trained on (defaults: seed
 * 1001, two weeks after the training span), through the whole pipeline, decisions as served, with each
 * rule's hit rate on legitimate and fraudulent events.
 * --gate (npm run rules:gate): exit 1 when an enforcing rule that asks for friction hits more than 0.1% of
 * legitimate held-out events and its file gives no `justification`.
 */
const a = parseArgs(process.argv.slice(2), { model: 'string', rules: 'string', seed: 'number', start: 'string', scale: 'number', html: 'string', json: 'string', gate: 'boolean' })
const modelDir = (a.model as string | undefined) ?? process.env.MODEL_DIR ?? 'models/risk-gbt'
const rulesDir = (a.rules as string | undefined) ?? 'rules'
const ruleSet = loadRuleSet(rulesDir)
const model = await Model.load(modelDir, ruleSet.catalog)
const training = (model.card.training as { simulator?: { seed?: number } }).simulator
const seed = (a.seed as number | undefined) ?? 1001
if (training?.seed === seed) process.stderr.write(`warning: seed ${seed} is the training seed; this is not a held-out evaluation\n`)
const params = { ...DEFAULT_PARAMS, seed, start: (a.start as string | undefined) ?? '2026-11-23T00:00:00+08:00', scale: (a.scale as number | undefined) ?? 1 }
const events = simulate(sharedSignalData().asn, params)
const rows = await runSimulated(events, model, rulesDir)
const e = evaluate(rows)
const rates = hitRates(rows.map((r) => ({ label: r.event.label, response: r.response })), ruleSet.rules)
await model.close()
process.stdout.write(`${model.card.id}@${model.card.version} on seed ${seed} from ${params.start} (${events.length} events), rules ${ruleSet.version.slice(0, 19)}…\n\n${formatEvaluation(e)}\n\n${formatHitRates(rates)}\n`)
if (a.html) {
  const roc = rocPoints(rows.map((r) => rankScore(r.response)), rows.map((r) => (r.event.label === 'fraud' ? 1 : 0)))
  writeFileSync(a.html as string, evaluationHtml(`${model.card.id}@${model.card.version}: held-out evaluation`, e, roc))
  process.stdout.write(`chart written to ${a.html}\n`)
}
if (a.json) writeFileSync(a.json as string, JSON.stringify({ evaluation: e, hit_rates: rates }, null, 2) + '\n')
if (a.gate) {
  const bad = gateFailures(rates)
  for (const r of bad) {
    const def = ruleSet.rules.find((x) => x.id === r.rule)
    process.stderr.write(`${def ? `${def.file}:${def.line} ` : ''}[${r.rule}] enforces ${r.action} on ${(r.legit_rate * 100).toFixed(2)}% of legitimate held-out events (limit ${LEGIT_HIT_LIMIT * 100}%): make it a shadow rule, narrow it, or add a 'justification'\n`)
  }
  process.stdout.write(bad.length ? `\nrules gate: ${bad.length} rule(s) over the legitimate hit-rate limit\n` : `\nrules gate: every enforcing rule is under ${LEGIT_HIT_LIMIT * 100}% of legitimate held-out events or justified\n`)
  if (bad.length) process.exit(1)
}
