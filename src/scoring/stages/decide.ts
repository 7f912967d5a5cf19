import { SEVERITY, type ScoreResponse } from '../../events/schemas.js'
import { vectorize } from '../../model/model.js'
import type { RuleOutcome } from '../../rules/evaluate.js'
import { combine } from '../combine.js'
import type { DecisionLog } from '../decision-log.js'
import type { ScoringEvent } from '../event.js'
import type { ModelOutcome } from './model.js'

export interface DecideOptions {
  decisionId: string
  /** degraded-velocity policy: the least severe decision such an event gets (allow: decide on what is there) */
  degradedFloor: 'allow' | 'challenge' | 'review'
  /** score the challenger too (only worth it when there is a decision log to put it in) */
  challenger: boolean
  onError?: ((where: string, err: unknown) => void) | undefined
}

export interface Decided {
  response: ScoreResponse
  challenger: DecisionLog['challenger']
}

/**
 * Stage 6, the one place a decision is made: the model's score and the matching rules combined by the
 * documented precedence, the degraded floor applied when velocity was unavailable, the challenger scored the
 * same way for the log, and the reply built.
 */
export async function decide(ev: ScoringEvent, m: ModelOutcome, o: RuleOutcome, d: DecideOptions): Promise<Decided> {
  const { policy, features, degraded } = ev
  const c = combine(m.probability, o, features, policy.thresholds, m.attributions)
  if (d.degradedFloor !== 'allow' && degraded.includes('velocity') && SEVERITY[c.decision] < SEVERITY[d.degradedFloor]) {
    c.decision = d.degradedFloor
    c.reasons.push({ code: 'VELOCITY_UNAVAILABLE', rule: 'degraded', action: d.degradedFloor, detail: `velocity counters unavailable; DEGRADED_FLOOR=${d.degradedFloor}` })
  }
  let challenger: DecisionLog['challenger']
  const ch = policy.challenger
  if (ch && d.challenger) {
    try {
      const p = await ch.predict(vectorize(ch.card.features, features))
      const cc = combine(p, o, features, ch.card.thresholds)
      challenger = { model: `${ch.id}@${ch.version}`, score: cc.score, decision: cc.decision }
    } catch (err) {
      d.onError?.('challenger', err)
    }
  }
  const model = policy.model
  const response: ScoreResponse = {
    event_id: ev.req.event_id,
    event: ev.req.event,
    decision: c.decision,
    score: c.score,
    reasons: c.reasons,
    model: model && m.probability !== null ? modelBlock(model, m.probability) : null,
    rules: { version: policy.rules.version, matched: o.matched.map((r) => r.id), shadow_matched: o.shadow.map((r) => r.id) },
    degraded,
    replayed: false,
    latency_ms: 0,
    decision_id: d.decisionId,
  }
  return { response, challenger }
}

function modelBlock(model: NonNullable<ScoringEvent['policy']['model']>, raw: number): NonNullable<ScoreResponse['model']> {
  const score = Math.round(raw * 1e4) / 1e4
  const p = model.probability(raw)
  return p === undefined ? { id: model.id, version: model.version, score } : { id: model.id, version: model.version, score, probability: Math.round(p * 1e6) / 1e6 }
}
