import type { ScoreResponse } from '../../events/schemas.js'
import type { VelocityStore } from '../../velocity/store.js'
import { ACCOUNT_TTL_MS, type AccountMemo } from '../account-memory.js'
import type { ScoringEvent } from '../event.js'
import { encodeStored } from '../stored-decision.js'

/**
 * Stage 7: the answer is stored under the event id, so a retry gets it back, and a registration's verdict
 * becomes the account's memory. Stored compact (src/scoring/stored-decision.ts), without `features` or
 * latency: a retry gets the decision, not one caller's explain view. Nothing is stored when velocity was
 * unavailable (there is no claim to complete).
 * Returns the write, which replay awaits and the live path lets run behind the reply.
 */
export function persist(ev: ScoringEvent, response: ScoreResponse, memo: AccountMemo | null, store: VelocityStore, o: { idempotencyTtlMs: number; urgent: boolean }): Promise<void> | undefined {
  if (ev.degraded.includes('velocity')) return undefined
  const { req, identity } = ev
  return store.finalize({
    idempotencyKey: ev.idempotencyKey,
    idempotencyTtlMs: o.idempotencyTtlMs,
    // with the request's hash, so a retry with another body under the same event_id is refused
    response: encodeStored(response, ev.requestHash),
    urgent: o.urgent,
    account:
      req.event === 'registration'
        ? {
            key: ev.accountKey,
            value: JSON.stringify({ t: memo?.t ?? ev.now, s: response.score, d: response.decision, r: response.reasons.slice(0, 8).map((x) => x.code), dv: identity.device, px: identity.ip_prefix } satisfies AccountMemo),
            ttlMs: ACCOUNT_TTL_MS,
          }
        : undefined,
  })
}
