import type { ScoreResponse } from '../../events/schemas.js'
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
