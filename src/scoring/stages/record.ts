import { SEVERITY, DECISION_ORDER, type ScoreResponse } from '../../events/schemas.js'
import type { LearningStore } from '../../learning/store.js'
import type { RuleOutcome } from '../../rules/evaluate.js'
import { redactInput, type DecisionLog } from '../decision-log.js'
import type { ScoringEvent } from '../event.js'

/**
 * Stage 8: the decision log line, for every answer: fresh, degraded, and retries answered from the store
 * (`replayed: true`, with the stored decision's id, so a reader can join the two).
 */
export function record(ev: ScoringEvent, response: ScoreResponse, log: ((line: DecisionLog) => void) | undefined, challenger?: DecisionLog['challenger']): void {
  if (!log) return
  const { identity: id } = ev
  log({
    decision_id: response.decision_id,
    event_id_hash: ev.eventHash,
    event: ev.req.event,
    decision: response.decision,
    score: response.score,
    model: response.model ? `${response.model.id}@${response.model.version}` : ev.policy.model ? `${ev.policy.model.id}@${ev.policy.model.version}` : null,
    model_score: response.model?.score ?? null,
    rules_version: response.rules.version,
    matched: response.rules.matched,
    shadow_matched: response.rules.shadow_matched,
    degraded: response.degraded,
    replayed: response.replayed,
    latency_ms: response.latency_ms,
    ids: { account: id.account, ip: id.ip, ip_prefix: id.ip_prefix, device: id.device, email: id.email, phone: id.phone, address: id.address, payment: id.payment },
    input: redactInput(ev.req, ev.features),
    challenger,
  })
}

/**
 * The decision record for training and backtests (issue 16): fresh decisions only (a retry adds no new
 * evidence), queued, never awaited. The rules' part is kept apart from the model's so a candidate model can be
 * replayed on the record: score = its probability × 100 + rules_score, decision = the more severe of rules_action
 * and its threshold (an allow-list rule still allows).
 */
export function learn(ev: ScoringEvent, response: ScoreResponse, o: RuleOutcome, store: LearningStore | undefined, challenger?: DecisionLog['challenger']): void {
  if (!store) return
  let severity = 0
  let points = 0
  let allowListed = false
  for (const r of o.matched) {
    severity = Math.max(severity, SEVERITY[r.action])
    points += r.score ?? 0
    if (r.action === 'allow') allowListed = true
  }
  const schema = ev.policy.vector
  store.record(
    {
      decision_id: response.decision_id,
      event_id_hash: ev.eventHash,
      at: new Date(ev.now).toISOString(),
      event: ev.req.event,
      decision: response.decision,
      score: response.score,
      rules_version: response.rules.version,
      rules_action: DECISION_ORDER[severity]!,
      allow_listed: allowListed,
      rules_score: points,
      model: response.model ? `${response.model.id}@${response.model.version}` : null,
      model_score: response.model?.score ?? null,
      ...(challenger ? { challenger } : {}),
      degraded: response.degraded,
      schema: schema.fingerprint,
      vector: schema.encode(ev.features),
    },
    schema,
  )
}
