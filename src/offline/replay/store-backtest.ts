import { DECISION_ORDER, SEVERITY, type Decision } from '../../events/schemas.js'
import { latestLabels, vectorReader } from '../../learning/read.js'
import type { DecisionRecord } from '../../learning/record.js'
import type { LearningStore, Period } from '../../learning/store.js'
import type { Model } from '../../model/model.js'
import { thresholdAction } from '../../scoring/combine.js'
import { pct } from './backtest.js'

export interface StoredSide {
  decisions: Record<Decision, number>
  fraud_not_allowed: number
  legit_not_allowed: number
}

export interface StoredChange {
  decision_id: string
  event: string
  at: string
  label?: 'fraud' | 'legit' | undefined
  a: { decision: Decision; score: number }
  b: { decision: Decision; score: number }
}

export interface StoredBacktest {
  candidate: string
  period: { from: string | null; to: string | null }
  records: number
  /** left out: scored without velocity, so their counters are zeros */
  degraded: number
  labelled: { fraud: number; legit: number }
  /** A: as served; B: the candidate on the stored vectors with the stored rules' part */
  a: StoredSide
  b: StoredSide
  /** transitions[from][to]: how many decisions moved, by door */
  transitions: Record<string, Record<string, Record<string, number>>>
  changed: number
  top: StoredChange[]
}

const side = (): StoredSide => ({ decisions: { allow: 0, challenge: 0, review: 0, deny: 0 }, fraud_not_allowed: 0, legit_not_allowed: 0 })

/**
 * A candidate model replayed on a stored period: each decision record's vector as it was at decision time,
 * scored by the candidate, combined with the rules' part of the decision that the record keeps (their action,
 * their points, an allow-list match) by the documented precedence. The counters are not replayed, so this
 * answers "what would this model have decided on those events", not "what would new rules have counted".
 */
export async function backtestStored(store: LearningStore, model: Model, o: Period & { top?: number } = {}): Promise<StoredBacktest> {
  const { labels } = await latestLabels(store)
  const vector = await vectorReader(store, model.card.features)
  const r: StoredBacktest = {
    candidate: `${model.id}@${model.version}`,
    period: { from: o.from !== undefined ? new Date(o.from).toISOString() : null, to: o.to !== undefined ? new Date(o.to).toISOString() : null },
    records: 0, degraded: 0, labelled: { fraud: 0, legit: 0 }, a: side(), b: side(), transitions: {}, changed: 0, top: [],
  }
  const changes: (StoredChange & { rank: number })[] = []
  const width = model.card.features.length
  let batch: { rec: DecisionRecord; x: Float32Array }[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const rows = new Float32Array(batch.length * width)
    batch.forEach((b, i) => rows.set(b.x, i * width))
    const p = await model.predictBatch(rows, batch.length)
    batch.forEach(({ rec }, i) => {
      const score = Math.max(0, Math.min(100, Math.round(p[i]! * 100 + rec.rules_score)))
      const decision: Decision = rec.allow_listed ? 'allow' : DECISION_ORDER[Math.max(SEVERITY[rec.rules_action], SEVERITY[thresholdAction(score, model.card.thresholds)])]!
      const label = labels.get(rec.event_id_hash)
      count(r.a, rec.decision, label)
      count(r.b, decision, label)
      if (label) r.labelled[label]++
      const t = ((r.transitions[rec.event] ??= {})[rec.decision] ??= {})
      t[decision] = (t[decision] ?? 0) + 1
      if (decision !== rec.decision) {
        r.changed++
        changes.push({ decision_id: rec.decision_id, event: rec.event, at: rec.at, label, a: { decision: rec.decision, score: rec.score }, b: { decision, score }, rank: Math.abs(SEVERITY[decision] - SEVERITY[rec.decision]) + (label ? 10 : 0) })
      }
    })
    batch = []
  }
  for await (const rec of store.decisions(o)) {
    if (rec.degraded.includes('velocity')) {
      r.degraded++
      continue
    }
    r.records++
    batch.push({ rec, x: vector(rec) })
    if (batch.length >= 1024) await flush()
  }
  await flush()
  changes.sort((x, y) => y.rank - x.rank)
  r.top = changes.slice(0, o.top ?? 20).map(({ rank: _r, ...c }) => c)
  return r
}

function count(s: StoredSide, d: Decision, label: 'fraud' | 'legit' | undefined): void {
  s.decisions[d]++
  if (d === 'allow') return
  if (label === 'fraud') s.fraud_not_allowed++
  else if (label === 'legit') s.legit_not_allowed++
}

export function formatStoredBacktest(r: StoredBacktest): string {
  const out: string[] = []
  out.push(`A: as served   B: ${r.candidate}   ${r.records} decision records${r.degraded ? ` (${r.degraded} degraded left out)` : ''}, ${r.labelled.fraud} labelled fraud, ${r.labelled.legit} labelled legit`)
  out.push('')
  out.push('                       A            B')
  out.push(`fraud not allowed   ${pct(r.a.fraud_not_allowed, r.labelled.fraud).padStart(8)}     ${pct(r.b.fraud_not_allowed, r.labelled.fraud).padStart(8)}   (of ${r.labelled.fraud} labelled fraud)`)
  out.push(`legit not allowed   ${pct(r.a.legit_not_allowed, r.labelled.legit).padStart(8)}     ${pct(r.b.legit_not_allowed, r.labelled.legit).padStart(8)}   (of ${r.labelled.legit} labelled legit)`)
  for (const d of DECISION_ORDER) out.push(`${d.padEnd(18)}  ${String(r.a.decisions[d]).padStart(8)}     ${String(r.b.decisions[d]).padStart(8)}`)
  out.push('')
  out.push(`${r.changed} decisions changed${r.top.length ? `; top ${r.top.length}:` : ''}`)
  for (const c of r.top) out.push(`  ${c.decision_id} ${c.event} ${c.at}${c.label ? ` [${c.label}]` : ''}: ${c.a.decision} (${c.a.score}) -> ${c.b.decision} (${c.b.score})`)
  return out.join('\n')
}
