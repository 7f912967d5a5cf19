import type { ScoreRequest } from '../../events/schemas.js'
import { extractFeatures } from '../../features/extract.js'
import type { Policy } from '../../policy/policy.js'
import type { Hasher } from '../../util/hash.js'
import type { ScoringEvent } from '../event.js'

/** Stage 1: the request's own features and hashed identifiers, and the store keys the event will touch. */
export function extract(req: ScoreRequest, policy: Policy, now: number, hash: Hasher): ScoringEvent {
  const { features, identity } = extractFeatures(req, policy.signals)
  const eventHash = hash('event', req.event_id)
  return {
    req,
    policy,
    now,
    features,
    identity,
    eventHash,
    requestHash: hash('req', JSON.stringify(req)),
    idempotencyKey: policy.counters.idempotencyKey(eventHash),
    accountKey: policy.counters.accountKey(identity),
    referrerKey: req.event === 'registration' && req.referrer_account_id !== undefined ? policy.counters.accountKey({ account: hash('acct', req.referrer_account_id) }) : undefined,
    degraded: [],
  }
}
