import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GBT_PARAMS } from '../train/feature-set.js'
import { evaluate, formatEvaluation, rankScore } from '../report/evaluate.js'
import { fitModel, MODEL_VERSION } from '../train/fit.js'
import { Model } from '../../model/model.js'
import { runSimulated } from '../train/run-sim.js'
import { evaluationHtml, rocPoints } from '../report/html.js'
import { formatHitRates, hitRates } from '../rules/hit-rates.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { DEFAULT_PARAMS, simulate, type SimParams } from '../sim/simulate.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { parseArgs } from './args.js'
import { trainFromFeedback } from './train-feedback.js'

/**
 * `npm run train`: simulate training traffic, fit on the exact feature vectors the service computes
 * (src/offline/train/fit.ts), export ONNX, pick thresholds on training traffic, then evaluate on a different seed
 * and a later time span. Same seed, same model bytes.
 */
if (process.argv.includes('--from-feedback')) {
  await trainFromFeedback(process.argv.slice(2))
  process.exit(0)
}
const a = parseArgs(process.argv.slice(2), { seed: 'number', 'eval-seed': 'number', scale: 'number', out: 'string', rules: 'string', kind: 'string' })
const KIND = ((a.kind as string | undefined) ?? 'gbt') as 'gbt' | 'lr'
if (KIND !== 'gbt' && KIND !== 'lr') throw new Error('--kind is gbt or lr')
const MODEL_ID = `risk-${KIND}`
const outDir = (a.out as string | undefined) ?? join('models', MODEL_ID)
const rulesDir = (a.rules as string | undefined) ?? 'rules'
const trainParams: SimParams = { ...DEFAULT_PARAMS, seed: (a.seed as number | undefined) ?? 1, scale: (a.scale as number | undefined) ?? 1 }
const evalParams: SimParams = { ...trainParams, seed: (a['eval-seed'] as number | undefined) ?? 1001, start: '2026-11-23T00:00:00+08:00' }

const t0 = Date.now()
const asn = sharedSignalData().asn
const trainEvents = simulate(asn, trainParams)
process.stderr.write(`training traffic: ${trainEvents.length} events, seed ${trainParams.seed}\n`)
const card = await fitModel(trainEvents, { kind: KIND, rulesDir, outDir, simulator: trainParams })
const sha256 = card.onnx.sha256

const ruleSet = loadRuleSet(rulesDir)
const evalEvents = simulate(asn, evalParams)
const model = await Model.load(outDir, ruleSet.catalog)
const evalRows = await runSimulated(evalEvents, model, rulesDir)
const evaluation = evaluate(evalRows)
const rates = hitRates(evalRows.map((r) => ({ label: r.event.label, response: r.response })), ruleSet.rules)
const roc = rocPoints(evalRows.map((r) => rankScore(r.response)), evalRows.map((r) => (r.event.label === 'fraud' ? 1 : 0)))
writeFileSync(join(outDir, 'report.html'), evaluationHtml(`${MODEL_ID}@${MODEL_VERSION}: held-out evaluation (seed ${evalParams.seed})`, evaluation, roc))
await model.close()
card.metrics = { held_out: { seed: evalParams.seed, start: evalParams.start, days: evalParams.days, ...evaluation } }
writeFileSync(join(outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n')

const table = formatEvaluation(evaluation)
writeFileSync(
  join(outDir, 'report.md'),
  `# ${MODEL_ID} ${MODEL_VERSION}\n\n${KIND === 'lr' ? 'Logistic regression' : `${GBT_PARAMS.trees} gradient-boosted trees (depth ${GBT_PARAMS.depth})`} over ${card.features.length} features the service computes, trained on simulator seed ${trainParams.seed} ` +
    `(${trainEvents.length} events from ${trainParams.start}, ${trainParams.days} days) and evaluated on seed ${evalParams.seed} ` +
    `(${evalEvents.length} events from ${evalParams.start}). Thresholds (challenge/review/deny on the 0–100 score): ` +
    `${card.thresholds.challenge}/${card.thresholds.review}/${card.thresholds.deny}: floors of 60/80/95, raised where the 99th/99.7th/99.9th percentile of legit training scores is higher.\n\n` +
    `Held-out evaluation (decisions as served, rules and model together; chart in report.html):\n\n${table}\n\n` +
    `Each rule on the same held-out traffic (\`npm run rules:gate\` fails an enforcing rule over 0.1% of legit events without a justification):\n\n${formatHitRates(rates)}\n\n` +
    `Generalisation to attack families the model never saw: \`npm run evaluate -- --leave-one-out\` (table in models/README.md).\n\n` +
    `Caveat: both sets come from the project's own simulator, with user agents from real clients (the user-agents package and test/fixtures/user-agents). ` +
    `These numbers say the pipeline separates the attack families as simulated; they are not a claim about real traffic.\n\nsha256(model.onnx) = ${sha256}\n`,
)
process.stdout.write(`${table}\n\nmodel ${MODEL_ID}@${MODEL_VERSION} written to ${outDir} (sha256 ${sha256}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
