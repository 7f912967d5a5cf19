import type { ScoreResponse } from '../../events/schemas.js'
import type { Model } from '../../model/model.js'
import { replay } from './replay.js'

export interface SideSummary {
  events: number
  decisions: Record<string, number>
  fraud: number
  fraud_not_allowed: number
  legit: number
  legit_not_allowed: number
  hits: Record<string, number>
  shadow_hits: Record<string, number>
  /** hits (enforce and shadow) on labelled events, per rule */
  legit_hits: Record<string, number>
  fraud_hits: Record<string, number>
  invalid: number
}

export interface Change {
  event_id: string
  event: string
  label?: string | undefined
  a: { decision: string; score: number; reasons: string[] }
  b: { decision: string; score: number; reasons: string[] }
}

export interface Backtest {
  a: SideSummary & { version: string }
  b: SideSummary & { version: string }
  changed: number
  top: Change[]
}

const SEVERITY: Record<string, number> = { allow: 0, challenge: 1, review: 2, deny: 3 }

function empty(): SideSummary {
  return { events: 0, decisions: { allow: 0, challenge: 0, review: 0, deny: 0 }, fraud: 0, fraud_not_allowed: 0, legit: 0, legit_not_allowed: 0, hits: {}, shadow_hits: {}, legit_hits: {}, fraud_hits: {}, invalid: 0 }
}

function add(s: SideSummary, r: ScoreResponse, label: string | undefined): void {
  s.events++
  s.decisions[r.decision] = (s.decisions[r.decision] ?? 0) + 1
  const na = r.decision === 'allow' ? 0 : 1
  if (label === 'fraud') {
    s.fraud++
    s.fraud_not_allowed += na
  } else if (label === 'legit') {
    s.legit++
    s.legit_not_allowed += na
  }
  for (const id of r.rules.matched) s.hits[id] = (s.hits[id] ?? 0) + 1
  for (const id of r.rules.shadow_matched) s.shadow_hits[id] = (s.shadow_hits[id] ?? 0) + 1
  const byLabel = label === 'fraud' ? s.fraud_hits : label === 'legit' ? s.legit_hits : undefined
  if (byLabel) for (const id of [...r.rules.matched, ...r.rules.shadow_matched]) byLabel[id] = (byLabel[id] ?? 0) + 1
}

/**
 * Replays the same events through the whole pipeline twice, with rule sets A and B, each with fresh
 * counters and event time as the clock. Changes are ranked by how far the decision moved, labelled
 * events first, then by event order.
 */
export async function backtest(lines: string[], opts: { a: string; b: string; model: Model | null; top?: number }): Promise<Backtest> {
  const sa = empty()
  const sb = empty()
  const resA: (ScoreResponse | null)[] = []
  const labels: (string | undefined)[] = []
  let versionA = ''
  let versionB = ''
  for await (const r of replay(lines, { rules: opts.a, model: opts.model, progress: { label: `scoring with ${opts.a}`, total: lines.length } })) {
    if (!r.ok) {
      sa.invalid++
      resA.push(null)
      labels.push(undefined)
      continue
    }
    versionA = r.response.rules.version
    add(sa, r.response, r.label)
    resA.push(r.response)
    labels.push(r.label)
  }
  const changes: (Change & { rank: number; order: number })[] = []
  let i = 0
  for await (const r of replay(lines, { rules: opts.b, model: opts.model, progress: { label: `scoring with ${opts.b}`, total: lines.length } })) {
    const prior = resA[i]
    const label = labels[i]
    const order = i++
    if (!r.ok) {
      sb.invalid++
      continue
    }
    versionB = r.response.rules.version
    add(sb, r.response, r.label)
    if (prior && prior.decision !== r.response.decision) {
      changes.push({
        event_id: r.response.event_id,
        event: r.response.event,
        label,
        a: { decision: prior.decision, score: prior.score, reasons: prior.reasons.map((x) => x.code) },
        b: { decision: r.response.decision, score: r.response.score, reasons: r.response.reasons.map((x) => x.code) },
        rank: Math.abs(SEVERITY[r.response.decision]! - SEVERITY[prior.decision]!) + (label ? 10 : 0),
        order,
      })
    }
  }
  changes.sort((x, y) => y.rank - x.rank || x.order - y.order)
  return {
    a: { ...sa, version: versionA },
    b: { ...sb, version: versionB },
    changed: changes.length,
    top: changes.slice(0, opts.top ?? 20).map(({ rank: _r, order: _o, ...c }) => c),
  }
}

export const pct = (n: number, d: number) => (d ? `${((n / d) * 100).toFixed(2)}%` : '—')

export function formatBacktest(r: Backtest): string {
  const out: string[] = []
  out.push(`A ${r.a.version.slice(0, 19)}…   B ${r.b.version.slice(0, 19)}…   ${r.a.events} events`)
  out.push('')
  out.push('                       A            B')
  out.push(`fraud not allowed   ${pct(r.a.fraud_not_allowed, r.a.fraud).padStart(8)}     ${pct(r.b.fraud_not_allowed, r.b.fraud).padStart(8)}   (of ${r.a.fraud} fraud)`)
  out.push(`legit not allowed   ${pct(r.a.legit_not_allowed, r.a.legit).padStart(8)}     ${pct(r.b.legit_not_allowed, r.b.legit).padStart(8)}   (of ${r.a.legit} legit)`)
  for (const d of ['allow', 'challenge', 'review', 'deny']) out.push(`${d.padEnd(18)}  ${String(r.a.decisions[d] ?? 0).padStart(8)}     ${String(r.b.decisions[d] ?? 0).padStart(8)}`)
  out.push('')
  out.push(`hits per rule                              A        B    legit hit rate A / B      fraud hit rate A / B`)
  const ids = [...new Set([...Object.keys(r.a.hits), ...Object.keys(r.b.hits), ...Object.keys(r.a.shadow_hits), ...Object.keys(r.b.shadow_hits)])].sort()
  const rate = (n: number | undefined, d: number) => (d ? `${(((n ?? 0) / d) * 100).toFixed(2)}%` : '—')
  for (const id of ids) {
    const a = (r.a.hits[id] ?? 0) + (r.a.shadow_hits[id] ?? 0)
    const b = (r.b.hits[id] ?? 0) + (r.b.shadow_hits[id] ?? 0)
    const shadow = r.a.shadow_hits[id] || r.b.shadow_hits[id] ? ' (shadow)' : ''
    const legit = `${rate(r.a.legit_hits[id], r.a.legit)} / ${rate(r.b.legit_hits[id], r.b.legit)}`
    const fraud = `${rate(r.a.fraud_hits[id], r.a.fraud)} / ${rate(r.b.fraud_hits[id], r.b.fraud)}`
    out.push(`  ${id.padEnd(40)} ${String(a).padStart(7)}  ${String(b).padStart(7)}    ${legit.padEnd(22)}  ${fraud.padEnd(22)}${a !== b ? '  *' : ''}${shadow}`)
  }
  out.push('')
  out.push(`${r.changed} decisions changed${r.top.length ? `; top ${r.top.length}:` : ''}`)
  for (const c of r.top) {
    out.push(`  ${c.event_id} ${c.event}${c.label ? ` [${c.label}]` : ''}: ${c.a.decision} (${c.a.score}) -> ${c.b.decision} (${c.b.score})   A: ${c.a.reasons.join(',') || '-'}   B: ${c.b.reasons.join(',') || '-'}`)
  }
  return out.join('\n')
}
