import type { ScoreRequest } from '../events/schemas.js'
import type { Features } from '../features/extract.js'
import type { Policy } from '../policy/policy.js'
import type { Identity } from '../velocity/counters.js'

/**
 * One event on its way through the stages. `features` is filled in stage order, each stage adding only its
 * own names: request features (extract), counter values (velocity), derived and remembered features
 * (derive), `model.score` (model). Rules and the model read it; nothing rewrites a name another stage wrote.
 */
export interface ScoringEvent {
  readonly req: ScoreRequest
  readonly policy: Policy
  /** the event's clock: the service's, or occurred_at in replay */
  readonly now: number
  readonly features: Features
  /** hashed identifiers: counter keys and the decision log's ids */
  readonly identity: Identity
  readonly eventHash: string
  /** the request as validated (keys in schema order), hashed: a retry must carry the same body */
  readonly requestHash: string
  readonly idempotencyKey: string
  readonly accountKey: string
  /** the inviter's memory, read beside the event's own (a registration with referrer_account_id) */
  readonly referrerKey: string | undefined
  /** the parts that failed; the decision is made on what is there */
  readonly degraded: string[]
}
