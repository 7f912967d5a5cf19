import type { ScoreResponse } from '../../events/schemas.js'
import type { CompiledRule } from '../../rules/ruleset.js'

/** One rule's record on labelled traffic. `caused_friction` counts legit events whose decision this rule's reason asked for. */
export interface RuleHitRate {
  rule: string
  mode: 'enforce' | 'shadow' | 'threshold'
  action: string
  legit_hits: number
  fraud_hits: number
  legit_rate: number
  fraud_rate: number
  caused_friction: number
  justification?: string
}

export interface HitRates {
  legit: number
  fraud: number
  legit_not_allowed: number
  rules: RuleHitRate[]
}

/**
 * Each rule's hit rate on legitimate and on fraudulent events, shadow rules included, and which rules
 * caused each legitimate event's friction: the reasons whose action equals the decision. The score
 * threshold is reported as the pseudo-rule `score`.
 */
export function hitRates(rows: Iterable<{ label: string | undefined; response: ScoreResponse }>, rules: readonly CompiledRule[] = []): HitRates {
  const stats = new Map<string, RuleHitRate>()
  const entry = (id: string, mode: RuleHitRate['mode'], action: string): RuleHitRate => {
    let s = stats.get(id)
    if (!s) stats.set(id, (s = { rule: id, mode, action, legit_hits: 0, fraud_hits: 0, legit_rate: 0, fraud_rate: 0, caused_friction: 0 }))
    return s
  }
  for (const r of rules) {
    const s = entry(r.id, r.mode, r.action)
    if (r.justification) s.justification = r.justification
  }
  let legit = 0
  let fraud = 0
  let legitNotAllowed = 0
  for (const { label, response } of rows) {
    if (label !== 'legit' && label !== 'fraud') continue
    const isLegit = label === 'legit'
    if (isLegit) legit++
    else fraud++
    const hit = (s: RuleHitRate) => (isLegit ? s.legit_hits++ : s.fraud_hits++)
    for (const id of response.rules.matched) hit(stats.get(id) ?? entry(id, 'enforce', '?'))
    for (const id of response.rules.shadow_matched) hit(stats.get(id) ?? entry(id, 'shadow', '?'))
    const scoreReason = response.reasons.find((x) => x.rule === 'score')
    if (scoreReason) hit(entry('score', 'threshold', 'by score'))
    if (isLegit && response.decision !== 'allow') {
      legitNotAllowed++
      for (const reason of response.reasons) if (reason.action === response.decision) (stats.get(reason.rule) ?? entry(reason.rule, 'enforce', reason.action)).caused_friction++
    }
  }
  for (const s of stats.values()) {
    s.legit_rate = legit ? s.legit_hits / legit : 0
    s.fraud_rate = fraud ? s.fraud_hits / fraud : 0
  }
  const order = { enforce: 0, threshold: 1, shadow: 2 }
  return { legit, fraud, legit_not_allowed: legitNotAllowed, rules: [...stats.values()].sort((a, b) => order[a.mode] - order[b.mode] || b.legit_rate - a.legit_rate || a.rule.localeCompare(b.rule)) }
}

export const LEGIT_HIT_LIMIT = 0.001

/** Enforcing rules that ask for friction, hit more than 0.1% of legitimate traffic and carry no written justification. */
export function gateFailures(h: HitRates, limit = LEGIT_HIT_LIMIT): RuleHitRate[] {
  return h.rules.filter((r) => r.mode === 'enforce' && r.action !== 'allow' && r.legit_rate > limit && !r.justification)
}

const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)}%`

export function formatHitRates(h: HitRates, limit = LEGIT_HIT_LIMIT): string {
  const lines = [
    `per-rule hit rates on ${h.legit} legitimate and ${h.fraud} fraudulent events (${h.legit_not_allowed} legitimate events not allowed)`,
    '',
    '| rule | mode | action | legit hit rate | fraud hit rate | legit friction caused | over 0.1%? |',
    '|---|---|---|---:|---:|---:|---|',
  ]
  for (const r of h.rules) {
    const over = r.mode === 'enforce' && r.action !== 'allow' && r.legit_rate > limit ? (r.justification ? 'yes, justified' : '**yes**') : ''
    lines.push(`| ${r.rule} | ${r.mode} | ${r.action} | ${pct(r.legit_rate)} (${r.legit_hits}) | ${pct(r.fraud_rate)} (${r.fraud_hits}) | ${r.caused_friction} | ${over} |`)
  }
  return lines.join('\n')
}
