/**
 * Velocity store: the one place the scoring path touches shared state. A scored event sends one batch
 * (idempotency claim + account memory + every counter) and gets every value back in one round trip.
 * Every key carries a hash tag (`{ip:...}`) naming the entity it belongs to; the Redis store sends one
 * Lua call per tag, all pipelined, so each call touches one Redis Cluster slot.
 * Both implementations (Redis, in-memory) pass the same contract suite in test/velocity/.
 */

export type CounterOp =
  | {
      /** bucketed sliding-window counts (or sums) over each window, one stored hash for all of them */
      kind: 'count'
      key: string
      /** added to every window: 1 for a count, the value for a sum, 0 to only read */
      add: number
      windowsMs: number[]
      /** buckets per window: the window slides by windowMs / buckets */
      buckets: number
    }
  | {
      /** distinct members, exact up to `cap`, then estimated; read back for every window at once */
      kind: 'distinct'
      key: string
      /** member to add, or '' to only read */
      member: string
      windowsMs: number[]
      /** at most this many members are kept exactly; past it the oldest are dropped and HyperLogLogs estimate */
      cap: number
    }

export interface AccountMemory {
  /** carries the account's hash tag, so it travels with the account's counters */
  key: string
  /** written only if the account is not yet known (registration); '' to only read */
  setIfAbsent: string
  ttlMs: number
}

export interface Batch {
  now: number
  idempotencyKey: string
  idempotencyTtlMs: number
  /** marks this request's claim on the idempotency key until the decision is stored */
  nonce: string
  account?: AccountMemory | undefined
  /** other accounts' memory keys to read, never written (a registration's referrer) */
  peek?: string[] | undefined
  /** values come back in this order */
  ops: CounterOp[]
}

export type BatchResult =
  | { status: 'fresh'; account: string | null; values: number[]; peeked?: (string | null)[] }
  | { status: 'replayed'; stored: string }
  | { status: 'in_flight' }

export interface Finalize {
  idempotencyKey: string
  idempotencyTtlMs: number
  response: string
  account?: { key: string; value: string; ttlMs: number } | undefined
  /** send at once instead of with the next event's call (replay awaits each write-back) */
  urgent?: boolean
}

export interface VelocityStore {
  readonly kind: 'redis' | 'memory'
  /** on failure, a claim this call may still make is released, so a retry of the event is scored afresh */
  execute(batch: Batch): Promise<BatchResult>
  finalize(f: Finalize): Promise<void>
  /** connected now, and if not, why (stores that cannot disconnect omit it) */
  health?(): { connected: boolean; reason?: string }
  /** resolves once connected (stores that cannot disconnect omit it) */
  ready?(): Promise<void>
  /** read a stored decision without claiming (used while another request holds the claim) */
  stored(idempotencyKey: string): Promise<string | null>
  ping(): Promise<boolean>
  close(): Promise<void>
}

export const PENDING_PREFIX = 'pending:'
/** How long a claim on an event_id lasts without a stored decision (a crashed request frees it). */
export const PENDING_TTL_MS = 30_000

/** The hash tag of a key (`a:{ip:x}:b` → `ip:x`), as Redis Cluster reads it; the whole key when there is none. */
export function hashTag(key: string): string {
  const open = key.indexOf('{')
  if (open < 0) return key
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}
