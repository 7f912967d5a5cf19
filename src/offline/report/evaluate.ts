import type { ScoreResponse } from '../../events/schemas.js'
import type { Family, SimEvent } from '../sim/simulate.js'
import { ATTACK_FAMILIES } from '../sim/simulate.js'
import { recallAtFpr, rocAuc } from './metrics.js'

export interface Evaluation {
  events: number
  fraud: number
  auc: number
  recall_at_0_5pct_fpr: number
  recall_at_1pct_fpr: number
  /** decisions as served: fraud not allowed, legit not allowed */
  fraud_stopped: number
  legit_friction: number
  /** legit events denied outright */
  legit_denied: number
  by_attack: Record<string, { events: number; not_allowed: number }>
  by_legit_group: Record<string, { events: number; not_allowed: number }>
  calibration: { bucket: string; events: number; fraud_rate: number }[]
}

const HARD_NEGATIVE_GROUPS = ['legit', 'campus_nat', 'family_phone', 'office_proxy', 'password_manager', 'new_user_coupon', 'rush', 'typo', 'influencer_invite', 'privacy_relay', 'cgnat'] as const

/** Honest evaluation of served decisions and scores against the simulator's labels. */
/** Score used for ranking metrics: the served 0–100 score, ties broken by the model's probability. */
export function rankScore(r: ScoreResponse): number {
  return r.score + (r.model?.score ?? 0) / 1000
}

export function evaluate(rows: { event: SimEvent; response: ScoreResponse; passwordManager?: boolean }[]): Evaluation {
  const scores = rows.map((r) => rankScore(r.response))
  const labels: number[] = rows.map((r) => (r.event.label === 'fraud' ? 1 : 0))
  const notAllowed = (r: { response: ScoreResponse }) => r.response.decision !== 'allow'
  const byAttack: Evaluation['by_attack'] = {}
  for (const f of ATTACK_FAMILIES) byAttack[f] = { events: 0, not_allowed: 0 }
  const byLegit: Evaluation['by_legit_group'] = {}
  for (const g of HARD_NEGATIVE_GROUPS) byLegit[g] = { events: 0, not_allowed: 0 }
  let fraudStopped = 0
  let legitFriction = 0
  let legitDenied = 0
  for (const r of rows) {
    const na = notAllowed(r) ? 1 : 0
    if (r.event.label === 'fraud') {
      fraudStopped += na
      const b = (byAttack[r.event.sim.family as Family] ??= { events: 0, not_allowed: 0 })
      b.events++
      b.not_allowed += na
    } else {
      legitFriction += na
      if (r.response.decision === 'deny') legitDenied++
      const groups = new Set<string>([r.event.sim.family, ...r.event.sim.tags])
      const be = r.event.behavior
      if (be && be.keystrokes === 0 && (be.fill_ms ?? 1e9) < 2000 && r.event.event !== 'coupon_claim') groups.add('password_manager')
      for (const g of groups) {
        const b = byLegit[g]
        if (!b) continue
        b.events++
        b.not_allowed += na
      }
    }
  }
  const fraud = labels.reduce((s, x) => s + x, 0)
  const calibration: Evaluation['calibration'] = []
  for (let lo = 0; lo < 100; lo += 10) {
    const inB = rows.filter((r) => r.response.score >= lo && (r.response.score < lo + 10 || (lo === 90 && r.response.score <= 100)))
    calibration.push({ bucket: `${lo}-${lo === 90 ? 100 : lo + 9}`, events: inB.length, fraud_rate: inB.length ? inB.filter((r) => r.event.label === 'fraud').length / inB.length : NaN })
  }
  return {
    events: rows.length,
    fraud,
    auc: rocAuc(scores, labels),
    recall_at_0_5pct_fpr: recallAtFpr(scores, labels, 0.005).recall,
    recall_at_1pct_fpr: recallAtFpr(scores, labels, 0.01).recall,
    fraud_stopped: fraud ? fraudStopped / fraud : NaN,
    legit_friction: rows.length - fraud ? legitFriction / (rows.length - fraud) : NaN,
    legit_denied: rows.length - fraud ? legitDenied / (rows.length - fraud) : NaN,
    by_attack: byAttack,
    by_legit_group: byLegit,
    calibration,
  }
}

/** a share as `12.3%`, `—` when there is nothing to share */
export const pct = (x: number) => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`)
const pct2 = (x: number) => (Number.isNaN(x) ? '—' : `${(x * 100).toFixed(2)}%`)

export function formatEvaluation(e: Evaluation): string {
  const lines = [
    `events ${e.events} (fraud ${e.fraud})   ROC AUC ${e.auc.toFixed(4)}   recall@0.5%FPR ${pct(e.recall_at_0_5pct_fpr)}   recall@1%FPR ${pct(e.recall_at_1pct_fpr)}`,
    `served decisions: fraud not allowed ${pct(e.fraud_stopped)}, legit not allowed ${pct(e.legit_friction)}, legit denied ${pct2(e.legit_denied)}`,
    '',
    '| attack family | events | not allowed |',
    '|---|---:|---:|',
    ...Object.entries(e.by_attack).map(([k, v]) => `| ${k} | ${v.events} | ${pct(v.events ? v.not_allowed / v.events : NaN)} |`),
    '',
    '| legit group | events | friction (not allowed) |',
    '|---|---:|---:|',
    ...Object.entries(e.by_legit_group).map(([k, v]) => `| ${k} | ${v.events} | ${pct(v.events ? v.not_allowed / v.events : NaN)} |`),
    '',
    '| score | events | fraud rate |',
    '|---|---:|---:|',
    ...e.calibration.map((c) => `| ${c.bucket} | ${c.events} | ${pct(c.fraud_rate)} |`),
  ]
  return lines.join('\n')
}
