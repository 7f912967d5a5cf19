import { join } from 'node:path'
import type { Card } from '../../model/card.js'
import { Model, vectorize } from '../../model/model.js'
import { latestLabels, vectorReader } from '../../learning/read.js'
import type { LearningStore } from '../../learning/store.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { writeFileSync } from 'node:fs'
import type { ModelKind } from './feature-set.js'
import { pickThresholds, writeModel } from './fit.js'
import { runSimulated } from './run-sim.js'
import type { SimEvent } from '../sim/simulate.js'

const DAY_MS = 86_400_000

export interface FeedbackOptions {
  /** the training run's clock (epoch ms): records younger than the maturity window are left out */
  now: number
  /** days a decision must be old before its lack of a label counts as legit (chargebacks come 30–120 days late) */
  maturityDays: number
  /** earliest decision used (epoch ms) */
  from?: number | undefined
  /** unlabelled mature decisions: legit (no chargeback, no report in the window) or left out */
  unlabelled: 'legit' | 'skip'
}

export interface Row {
  x: Float32Array
  y: 0 | 1
  /** the enforcing rules' score points at decision time, for thresholds on served scores */
  rulesScore: number
  /** the label was given (a label, or the simulator's truth), not assumed from its absence */
  confirmed: boolean
}

export interface FeedbackRows {
  rows: Row[]
  stats: {
    decisions_read: number
    used: number
    labelled_fraud: number
    labelled_legit: number
    assumed_legit: number
    /** left out: velocity was degraded, so the counters in the vector are zeros, not evidence */
    degraded: number
    /** left out: younger than the maturity window */
    immature: number
    unlabelled_skipped: number
    labels: number
    /** labels whose decision is not in the period or the store (expired, or another deployment's) */
    labels_unmatched: number
    period: { from: string | null; to: string }
  }
}

/**
 * Join the stored labels to the decision records as they were at decision time, projected onto `features`.
 * The latest label of an event wins (a review may overturn a report).
 */
export async function feedbackRows(store: LearningStore, features: readonly string[], o: FeedbackOptions): Promise<FeedbackRows> {
  const { labels, read: nLabels } = await latestLabels(store)
  const vector = await vectorReader(store, features)
  const cutoff = o.now - o.maturityDays * DAY_MS
  const stats: FeedbackRows['stats'] = {
    decisions_read: 0, used: 0, labelled_fraud: 0, labelled_legit: 0, assumed_legit: 0, degraded: 0, immature: 0, unlabelled_skipped: 0, labels: nLabels, labels_unmatched: 0,
    period: { from: o.from !== undefined ? new Date(o.from).toISOString() : null, to: new Date(cutoff).toISOString() },
  }
  const matched = new Set<string>()
  const rows: Row[] = []
  for await (const rec of store.decisions(o.from !== undefined ? { from: o.from } : {})) {
    stats.decisions_read++
    const lab = labels.get(rec.event_id_hash)
    if (lab) matched.add(rec.event_id_hash)
    if (Date.parse(rec.at) >= cutoff) {
      stats.immature++
      continue
    }
    if (rec.degraded.includes('velocity')) {
      stats.degraded++
      continue
    }
    let y: 0 | 1
    const confirmed = lab !== undefined
    if (lab) {
      y = lab === 'fraud' ? 1 : 0
      if (y) stats.labelled_fraud++
      else stats.labelled_legit++
    } else if (o.unlabelled === 'legit') {
      y = 0
      stats.assumed_legit++
    } else {
      stats.unlabelled_skipped++
      continue
    }
    rows.push({ x: vector(rec), y, rulesScore: rec.rules_score, confirmed })
    stats.used++
  }
  stats.labels_unmatched = labels.size - matched.size
  return { rows, stats }
}

/** Simulated rows in the same layout: features from the real pipeline without a model, rules' points as served. */
export async function simulatedRows(events: SimEvent[], features: readonly string[], rulesDir: string): Promise<Row[]> {
  const scored = await runSimulated(events, null, rulesDir)
  return scored.map((r) => {
    const x = vectorize(features, r.response.features as Record<string, number | boolean | string>)
    // without a model the served score is the rules' points alone
    return { x, y: r.event.label === 'fraud' ? 1 : 0, rulesScore: r.response.score, confirmed: true }
  })
}

/** Thresholds come from confirmed legit rows when there are this many: unlabelled rows hide the fraud nobody reported. */
export const ENOUGH_CONFIRMED_LEGIT = 500

/** Below this many labelled fraud rows a model learns the storefront's few cases, not fraud. */
export const ENOUGH_FRAUD = 1000

/**
 * The simulated share where labels are scarce: none once the feedback holds ENOUGH_FRAUD labelled fraud rows,
 * up to 80% when it holds none, in between by how far short it is.
 */
export function autoSimShare(fb: FeedbackRows): number {
  const fraud = fb.stats.labelled_fraud
  return Math.round(Math.max(0, Math.min(0.8, 0.8 * (1 - fraud / ENOUGH_FRAUD))) * 100) / 100
}

/** Every k-th row (deterministic), about `n` of them. */
export function takeEvenly<T>(rows: T[], n: number): T[] {
  if (n >= rows.length) return rows
  if (n <= 0) return []
  const out: T[] = []
  const step = rows.length / n
  for (let i = 0; i < n; i++) out.push(rows[Math.floor(i * step)]!)
  return out
}

export interface CandidateOptions {
  kind: ModelKind
  /** the model's input, in order: the same names the feedback and simulated rows were projected onto */
  features: string[]
  rulesDir: string
  outDir: string
  id: string
  version: string
  feedback: FeedbackRows
  /** simulated rows available to fill in where labels are scarce */
  simulated: Row[]
  simulator: Record<string, unknown>
  /** share of the training set that is simulated (0–1) */
  simShare: number
}

/**
 * Fit a candidate on labelled feedback, topped up with simulated traffic to `simShare` of the set, and pick its
 * thresholds on the legit rows' served scores (its probability × 100 + the rules' points). The card says
 * where every row came from.
 */
export async function fitCandidate(o: CandidateOptions): Promise<Card> {
  const fb = o.feedback.rows
  const simN = o.simShare >= 1 ? o.simulated.length : Math.min(o.simulated.length, Math.round((fb.length * o.simShare) / (1 - o.simShare)))
  const sim = takeEvenly(o.simulated, simN)
  const all = [...fb, ...sim]
  if (all.length === 0) throw new Error('nothing to train on: no mature decision records and no simulated rows')
  const y = Uint8Array.from(all, (r) => r.y)
  if (y.every((v) => v === 0) || y.every((v) => v === 1)) throw new Error(`the training rows hold one class only (${all.length} rows, ${y.reduce((s, v) => s + v, 0)} fraud): post fraud and legit labels, or mix in simulated traffic (--sim-share)`)
  const features = o.features
  const simFraud = sim.reduce((s, r) => s + r.y, 0)
  const card = writeModel(
    all.map((r) => r.x),
    y,
    {
      kind: o.kind,
      features,
      outDir: o.outDir,
      id: o.id,
      version: o.version,
      createdBy: 'npm run train -- --from-feedback',
      training: {
        events: all.length,
        fraud: y.reduce((s, v) => s + v, 0),
        sources: {
          feedback: { rows: fb.length, fraud: fb.reduce((s, r) => s + r.y, 0), share: round4(fb.length / all.length), ...o.feedback.stats },
          simulator: { rows: sim.length, fraud: simFraud, share: round4(sim.length / all.length), ...o.simulator },
        },
      },
    },
  )
  const model = await Model.load(o.outDir, loadRuleSet(o.rulesDir).catalog)
  // Unlabelled rows count as legit for fitting, but they hold the fraud nobody reported: where the storefront
  // confirms enough legit events (manual review), thresholds come from those alone, so that hidden fraud does not
  // push them up.
  const confirmedLegit = all.filter((r) => r.y === 0 && r.confirmed)
  const legit = confirmedLegit.length >= ENOUGH_CONFIRMED_LEGIT ? confirmedLegit : all.filter((r) => r.y === 0)
  card.training.thresholds_from = legit === confirmedLegit ? `${legit.length} confirmed legit rows` : `${legit.length} legit rows, labelled or assumed (fewer than ${ENOUGH_CONFIRMED_LEGIT} confirmed)`
  const width = features.length
  const legitScores: number[] = []
  for (let i = 0; i < legit.length; i += 1024) {
    const chunk = legit.slice(i, i + 1024)
    const rows = new Float32Array(chunk.length * width)
    chunk.forEach((r, j) => rows.set(r.x, j * width))
    const p = await model.predictBatch(rows, chunk.length)
    chunk.forEach((r, j) => legitScores.push(Math.max(0, Math.min(100, Math.round(p[j]! * 100 + r.rulesScore)))))
  }
  await model.close()
  card.thresholds = pickThresholds(legitScores.sort((a, b) => a - b))
  writeFileSync(join(o.outDir, 'card.json'), JSON.stringify(card, null, 2) + '\n')
  return card
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4
