import { evaluateRules, type RuleOutcome } from '../../rules/evaluate.js'
import type { ScoringEvent } from '../event.js'

/** Stage 5: every compiled rule of the event's door, enforce and shadow, on the complete features. */
export function rules(ev: ScoringEvent): RuleOutcome {
  return evaluateRules(ev.policy.rules, ev.req.event, ev.features)
}
