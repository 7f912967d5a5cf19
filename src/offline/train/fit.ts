import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Card } from '../../model/card.js'
import { GBT_PARAMS, LR_PARAMS, modelFeatures, type ModelKind } from './feature-set.js'
import { trainGbt } from './gbt.js'
import { quantile } from '../report/metrics.js'
import { Model, vectorize } from '../../model/model.js'
import { exportGbtOnnx, exportLinearOnnx } from './onnx-export.js'
import { runSimulated } from './run-sim.js'
import { trainLogistic } from './train-lr.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import type { SimEvent, SimParams } from '../sim/simulate.js'

export const MODEL_VERSION = '2026.11.1'

export interface ModelMeta {
  kind: ModelKind
  features: string[]
  outDir: string
  id: string
  version: string
  createdBy: string
  /** what it learned from, for the card; the trainer's parameters are added */
  training: Record<string, unknown>
}

/** Fit on vectors in `meta.features` order, export ONNX and write model.onnx and card.json (floor thresholds). */
export function writeModel(X: Float32Array[], y: Uint8Array, meta: ModelMeta): Card {
  const linear = meta.kind === 'lr' ? trainLogistic(X, y, LR_PARAMS) : undefined
  const n = meta.features.length
  const onnxBytes =
    meta.kind === 'lr'
      ? exportLinearOnnx(linear!, { version: meta.version, doc: `Bouncer risk model ${meta.version}: logistic regression over ${n} service features` })
      : exportGbtOnnx(trainGbt(X, y, GBT_PARAMS), { version: meta.version, doc: `Bouncer risk model ${meta.version}: ${GBT_PARAMS.trees} gradient-boosted trees of depth ${GBT_PARAMS.depth} over ${n} service features` })
  mkdirSync(meta.outDir, { recursive: true })
  writeFileSync(join(meta.outDir, 'model.onnx'), onnxBytes)
  const card: Card = {
    id: meta.id,
    version: meta.version,
    kind: meta.kind === 'lr' ? 'logistic_regression' : 'gbt',
    created_by: meta.createdBy,
    features: meta.features,
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnxBytes).digest('hex'), input: 'features', output: 'score' },
    thresholds: { challenge: 60, review: 80, deny: 95 },
    ...(linear ? { linear } : {}),
    training: { ...meta.training, ...(meta.kind === 'lr' ? LR_PARAMS : GBT_PARAMS) },
    metrics: {},
  }
  writeFileSync(join(meta.outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n')
  return card
}

/**
 * The thresholds `npm run train` picks, from legit training scores (0–100, sorted ascending): fixed floors,
 * raised, never lowered, where the 99th/99.7th/99.9th percentiles demand it.
 */
export function pickThresholds(legitSorted: number[]): Card['thresholds'] {
  const challenge = Math.min(90, Math.max(60, quantile(legitSorted, 0.99) + 1))
  const review = Math.min(97, Math.max(80, challenge + 5, quantile(legitSorted, 0.997) + 1))
  return { challenge, review, deny: Math.min(99, Math.max(95, review + 2, quantile(legitSorted, 0.999) + 1)) }
}

/**
 * Fit a model on simulated events the way `npm run train` does: replay them through the real pipeline
 * (no model) for the exact features the service computes, fit, export ONNX, then pick thresholds on the
 * same training traffic. Fixed floors (a deny needs strong evidence whatever the simulator says), raised,
 * never lowered, where legit training scores demand it: quantiles alone put them where the simulator
 * separates well (40/45/50 for the trees), which is tuning the product to its own generator.
 * Writes model.onnx and card.json to `outDir`; returns the card.
 */
export async function fitModel(events: SimEvent[], o: { kind: ModelKind; rulesDir: string; outDir: string; simulator: SimParams; note?: string }): Promise<Card> {
  const catalog = loadRuleSet(o.rulesDir).catalog
  const featureNames = modelFeatures(o.kind, catalog)
  const featureRows = await runSimulated(events, null, o.rulesDir)
  const X = featureRows.map((r) => vectorize(featureNames, r.response.features as Record<string, number | boolean | string>))
  const y = Uint8Array.from(featureRows, (r) => (r.event.label === 'fraud' ? 1 : 0))
  const card = writeModel(X, y, {
    kind: o.kind,
    features: featureNames,
    outDir: o.outDir,
    id: `risk-${o.kind}`,
    version: MODEL_VERSION,
    createdBy: o.note ?? 'npm run train',
    training: { simulator: { ...o.simulator }, events: events.length, fraud: y.reduce((s, v) => s + v, 0) },
  })
  const model = await Model.load(o.outDir, catalog)
  const scored = await runSimulated(events, model, o.rulesDir)
  await model.close()
  const legit = scored.filter((r) => r.event.label === 'legit').map((r) => r.response.score).sort((p, q) => p - q)
  card.thresholds = pickThresholds(legit)
  writeFileSync(join(o.outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n')
  return card
}
