import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GBT_PARAMS } from '../train/feature-set.js'
import { evaluate, formatEvaluation, rankScore } from '../report/evaluate.js'
import { fitModel, MODEL_VERSION } from '../train/fit.js'
import { Model, vectorize } from '../../model/model.js'
import type { Reference } from '../../model/drift.js'
import { referenceBins } from '../../model/drift.js'
import { calibrate, fitCalibration, formatReliability, reliability } from '../train/calibrate.js'
import { importance, modelReportHtml, prPoints, rawProbabilities, scoreHistogram, type ModelReport } from '../report/model-report.js'
import { runSimulated } from '../train/run-sim.js'
import { evaluationHtml, rocPoints } from '../report/html.js'
import { formatHitRates, hitRates } from '../rules/hit-rates.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { DEFAULT_PARAMS, simulate, type SimParams } from '../sim/simulate.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { cliArgs } from './args.js'
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
const a = cliArgs(process.argv.slice(2), { seed: 'number', 'eval-seed': 'number', 'calibration-seed': 'number', 'base-rate': 'number', scale: 'number', out: 'string', rules: 'string', kind: 'string' })
const KIND = ((a.kind as string | undefined) ?? 'gbt') as 'gbt' | 'lr'
if (KIND !== 'gbt' && KIND !== 'lr') throw new Error('--kind is gbt or lr')
const MODEL_ID = `risk-${KIND}`
const outDir = (a.out as string | undefined) ?? join('models', MODEL_ID)
const rulesDir = (a.rules as string | undefined) ?? 'rules'
const trainParams: SimParams = { ...DEFAULT_PARAMS, seed: (a.seed as number | undefined) ?? 1, scale: (a.scale as number | undefined) ?? 1 }
const evalParams: SimParams = { ...trainParams, seed: (a['eval-seed'] as number | undefined) ?? 1001, start: '2026-11-23T00:00:00+08:00' }
// the reliability check runs on traffic the calibration did not see
const calibParams: SimParams = { ...evalParams, seed: (a['calibration-seed'] as number | undefined) ?? evalParams.seed + 1 }
const BASE_RATE = (a['base-rate'] as number | undefined) ?? 0.01
if (!(BASE_RATE > 0 && BASE_RATE < 0.5)) throw new Error('--base-rate is a fraud rate between 0 and 0.5 (default 0.01)')

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
const labels = Uint8Array.from(evalRows, (r) => (r.event.label === 'fraud' ? 1 : 0))
const roc = rocPoints(evalRows.map((r) => rankScore(r.response)), Array.from(labels))

// Calibration: isotonic on this held-out seed's raw probabilities, then the prior shift to BASE_RATE, checked on
// another seed with fraud reweighted to BASE_RATE.
const rawEval = await rawProbabilities(model, evalRows)
const calibration = fitCalibration(rawEval, labels, BASE_RATE, `simulator seed ${evalParams.seed} (held-out)`)
const calibRows = await runSimulated(simulate(asn, calibParams), model, rulesDir)
const calibLabels = Uint8Array.from(calibRows, (r) => (r.event.label === 'fraud' ? 1 : 0))
const rawCalib = await rawProbabilities(model, calibRows)
const before = reliability(rawCalib, calibLabels, BASE_RATE)
const after = reliability(Float64Array.from(rawCalib, (p) => calibrate(calibration, p)), calibLabels, BASE_RATE)
const globalImportance = importance(model, evalRows)
// drift reference: the held-out traffic's raw score and the ten most important features
const reference: Reference = {
  measured_on: `simulator seed ${evalParams.seed} (held-out, ${evalRows.length} events)`,
  score: referenceBins(rawEval),
  features: Object.fromEntries(
    globalImportance.slice(0, 10).map(({ feature }) => {
      const j = card.features.indexOf(feature)
      return [feature, referenceBins(evalRows.map((r) => vectorize([card.features[j]!], r.response.features as Record<string, number | boolean | string>)[0]!))]
    }),
  ),
}
const report: ModelReport = {
  importance: globalImportance,
  histogram: scoreHistogram(evalRows),
  pr: prPoints(evalRows.map((r) => rankScore(r.response)), labels, BASE_RATE),
  baseRate: BASE_RATE,
  reliability: { before, after, checkedOn: `simulator seed ${calibParams.seed}, fraud reweighted to ${BASE_RATE * 100}%` },
}
writeFileSync(join(outDir, 'report.html'), evaluationHtml(`${MODEL_ID}@${MODEL_VERSION}: held-out evaluation (seed ${evalParams.seed})`, evaluation, roc, modelReportHtml(report)))
await model.close()
card.metrics = {
  held_out: { seed: evalParams.seed, start: evalParams.start, days: evalParams.days, ...evaluation },
  calibration: { checked_on: { seed: calibParams.seed, events: calibRows.length }, before, after },
  importance: globalImportance.slice(0, 20),
}
card.calibration = calibration
card.reference = reference
writeFileSync(join(outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n')

const table = formatEvaluation(evaluation)
writeFileSync(
  join(outDir, 'report.md'),
  `# ${MODEL_ID} ${MODEL_VERSION}\n\n${KIND === 'lr' ? 'Logistic regression' : `${GBT_PARAMS.trees} gradient-boosted trees (depth ${GBT_PARAMS.depth})`} over ${card.features.length} features the service computes, trained on simulator seed ${trainParams.seed} ` +
    `(${trainEvents.length} events from ${trainParams.start}, ${trainParams.days} days) and evaluated on seed ${evalParams.seed} ` +
    `(${evalEvents.length} events from ${evalParams.start}). Thresholds (challenge/review/deny on the 0–100 score): ` +
    `${card.thresholds.challenge}/${card.thresholds.review}/${card.thresholds.deny}: floors of 60/80/95, raised where the 99th/99.7th/99.9th percentile of legit training scores is higher.\n\n` +
    `Held-out evaluation (decisions as served, rules and model together; chart in report.html):\n\n${table}\n\n` +
    `Calibration: the score (0–100) ranks events and carries the thresholds; \`model.probability\` in a response is the chance of fraud at a ${BASE_RATE * 100}% fraud rate (\`--base-rate\`): ` +
    `an isotonic map fitted on seed ${evalParams.seed}, then the prior shift from its ${(calibration.fitted_rate * 100).toFixed(1)}% fraud to ${BASE_RATE * 100}%. ` +
    `Reliability on seed ${calibParams.seed} (${calibRows.length} events, fraud reweighted to ${BASE_RATE * 100}%), raw output (before) and calibrated (after):\n\n${formatReliability(before, after)}\n\n` +
    `Most important features (mean |contribution to the logit| on held-out events): ${globalImportance.slice(0, 8).map((f) => `\`${f.feature}\` ${f.mean_abs.toFixed(3)}`).join(', ')}.\n\n` +
    `Each rule on the same held-out traffic (\`npm run rules:gate\` fails an enforcing rule over 0.1% of legit events without a justification):\n\n${formatHitRates(rates)}\n\n` +
    `Generalisation to attack families the model never saw: \`npm run evaluate -- --leave-one-out\` (table in models/README.md).\n\n` +
    `Caveat: both sets come from the project's own simulator, with user agents from real clients (the user-agents package and test/fixtures/user-agents). ` +
    `These numbers say the pipeline separates the attack families as simulated; they are not a claim about real traffic.\n\nsha256(model.onnx) = ${sha256}\n`,
)
process.stdout.write(`${table}\n\nmodel ${MODEL_ID}@${MODEL_VERSION} written to ${outDir} (sha256 ${sha256}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)
