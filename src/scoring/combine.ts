import { DECISION_ORDER, SEVERITY, type Decision, type Reason } from '../events/schemas.js'
import type { Features } from '../features/extract.js'
import type { Thresholds } from '../model/card.js'
import type { Attribution } from '../model/model.js'
import type { RuleOutcome } from '../rules/evaluate.js'

export { DEFAULT_THRESHOLDS, type Thresholds } from '../model/card.js'

export interface Combined {
  decision: Decision
  score: number
  reasons: Reason[]
}

export function thresholdAction(score: number, t: Thresholds): Decision {
  if (score >= t.deny) return 'deny'
  if (score >= t.review) return 'review'
  if (score >= t.challenge) return 'challenge'
  return 'allow'
}

/**
 * The documented precedence (rules/README.md):
 * 1. score = model probability × 100 plus every matching enforce rule's `score`, clamped to 0–100;
 * 2. an enforcing `allow` rule (an allow-list) decides `allow`, whatever else matched;
 * 3. otherwise the most severe of the matching rules' actions and the score's threshold action.
 * `reasons` lists the matching enforce rules, most severe first (file order among equals), then the
 * score reason when the score's threshold set or raised the decision.
 */
/** `attributions` is called only when the score reason is given, to keep the common path cheap. */
export function combine(modelProbability: number | null, outcome: RuleOutcome, flat: Features, t: Thresholds, attributions: () => Attribution[] = () => []): Combined {
  let raw = modelProbability === null ? 0 : modelProbability * 100
  for (const r of outcome.matched) raw += r.score ?? 0
  const score = Math.max(0, Math.min(100, Math.round(raw)))

  const sorted = outcome.matched.length > 1 ? [...outcome.matched].sort((a, b) => b.severity - a.severity) : outcome.matched
  const allowListed = sorted.some((r) => r.action === 'allow')
  const reasons: Reason[] = []
  if (allowListed) {
    for (const r of sorted) if (r.action === 'allow') reasons.push({ code: r.code, rule: r.id, action: 'allow', detail: r.renderDetail(flat) })
    return { decision: 'allow', score, reasons }
  }
  let severity = 0
  for (const r of sorted) {
    severity = Math.max(severity, SEVERITY[r.action])
    reasons.push({ code: r.code, rule: r.id, action: r.action, detail: r.renderDetail(flat) })
  }
  const byScore = thresholdAction(score, t)
  if (SEVERITY[byScore] > 0 && SEVERITY[byScore] >= severity) {
    const signals = attributions().map((a) => `${a.feature}=${Math.round(a.value * 1000) / 1000}`).join(', ')
    reasons.push({
      code: 'HIGH_RISK_SCORE',
      rule: 'score',
      action: byScore,
      detail: `score ${score} ≥ ${byScore} threshold ${t[byScore as keyof Thresholds]}${signals ? `; top model signals: ${signals}` : ''}`,
    })
    severity = SEVERITY[byScore]
  }
  return { decision: DECISION_ORDER[severity]!, score, reasons }
}
