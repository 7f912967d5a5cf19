import { writeFileSync } from 'node:fs'
import { evaluate, formatEvaluation, rankScore } from '../model/evaluate.js'
import { Model } from '../model/model.js'
import { loadRuleSet } from '../rules/ruleset.js'
import { evaluationHtml, rocPoints } from '../model/report-chart.js'
import { runSimulated } from '../model/run-sim.js'
import { sharedSignalData } from '../runtime.js'
import { DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { parseArgs } from './args.js'

/**
 * npm run evaluate [-- --model DIR] [--rules DIR] [--seed N] [--start ISO] [--scale X] [--html FILE]
 * Held-out evaluation: traffic from a seed and time span the model was not trained on (defaults: seed
 * 1001, two weeks after the training span), through the whole pipeline, decisions as served.
 */
const a = parseArgs(process.argv.slice(2), { model: 'string', rules: 'string', seed: 'number', start: 'string', scale: 'number', html: 'string' })
const modelDir = (a.model as string | undefined) ?? process.env.MODEL_DIR ?? 'models/risk-gbt'
const rulesDir = (a.rules as string | undefined) ?? 'rules'
const model = await Model.load(modelDir, loadRuleSet(rulesDir).catalog)
const training = (model.card.training as { simulator?: { seed?: number } }).simulator
const seed = (a.seed as number | undefined) ?? 1001
if (training?.seed === seed) process.stderr.write(`warning: seed ${seed} is the training seed; this is not a held-out evaluation\n`)
const params = { ...DEFAULT_PARAMS, seed, start: (a.start as string | undefined) ?? '2026-11-23T00:00:00+08:00', scale: (a.scale as number | undefined) ?? 1 }
const events = simulate(sharedSignalData().asn, params)
const rows = await runSimulated(events, model, rulesDir)
const e = evaluate(rows)
await model.close()
process.stdout.write(`${model.card.id}@${model.card.version} on seed ${seed} from ${params.start} (${events.length} events)\n\n${formatEvaluation(e)}\n`)
if (a.html) {
  const roc = rocPoints(rows.map((r) => rankScore(r.response)), rows.map((r) => (r.event.label === 'fraud' ? 1 : 0)))
  writeFileSync(a.html as string, evaluationHtml(`${model.card.id}@${model.card.version}: held-out evaluation`, e, roc))
  process.stdout.write(`chart written to ${a.html}\n`)
}
