import { PENDING_PREFIX, type Batch, type BatchResult, type VelocityStore } from '../../velocity/store.js'
import { ACCOUNT_TTL_MS } from '../account-memory.js'
import type { ScoringEvent } from '../event.js'
import { decodeStored, type Stored } from '../stored-decision.js'

export class ConflictError extends Error {
  constructor() {
    super('a request with this event_id is still being scored; retry shortly')
    this.name = 'ConflictError'
  }
}

/** The event id of an answered event came back with a different body: a retry must be the same request. */
export class EventIdReused extends ConflictError {
  constructor(eventId: string) {
    super()
    this.message = `event_id ${JSON.stringify(eventId)} was already scored with a different body; a retry must send the same request, a new event a new event_id`
    this.name = 'EventIdReused'
  }
}

/** What the store gave back: the counters (written into the event's features), or the answer already given. */
export type Velocity =
  | { status: 'fresh'; account: string | null; referrer: string | null }
  | { status: 'replayed'; stored: Stored }
  | { status: 'unavailable' }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Stage 2: one store call claims the event id, adds the event to every counter it feeds, reads them all and
 * the account's memory. A retry of a decided event id gets the stored answer; a concurrent one waits briefly
 * for it (then ConflictError, a 409). A store failure marks velocity degraded and the event goes on without.
 */
export async function velocity(ev: ScoringEvent, store: VelocityStore, o: { idempotencyTtlMs: number; nonce: string; onError?: ((where: string, err: unknown) => void) | undefined }): Promise<Velocity> {
  const { req } = ev
  const planned = ev.policy.counters.plan(req, ev.identity, ev.features)
  const batch: Batch = {
    now: ev.now,
    idempotencyKey: ev.idempotencyKey,
    idempotencyTtlMs: o.idempotencyTtlMs,
    nonce: o.nonce,
    account:
      req.event === 'registration'
        ? { key: ev.accountKey, setIfAbsent: JSON.stringify({ t: ev.now }), ttlMs: ACCOUNT_TTL_MS }
        : req.event === 'coupon_claim'
          ? { key: ev.accountKey, setIfAbsent: '', ttlMs: ACCOUNT_TTL_MS }
          : undefined,
    ops: planned.ops,
    ...(ev.referrerKey !== undefined ? { peek: [ev.referrerKey] } : {}),
  }
  let result: BatchResult
  try {
    result = await store.execute(batch)
    if (result.status === 'in_flight') result = await waitForStored(store, ev.idempotencyKey)
  } catch (err) {
    if (err instanceof ConflictError) throw err
    // the store has released its claim: a retry of this event is scored afresh
    ev.degraded.push('velocity')
    o.onError?.('velocity', err)
    return { status: 'unavailable' }
  }
  if (result.status === 'replayed') {
    const { stored, rh } = decodeStored(result.stored)
    if (rh !== undefined && rh !== ev.requestHash) throw new EventIdReused(req.event_id)
    return { status: 'replayed', stored }
  }
  for (let i = 0; i < planned.features.length; i++) ev.features[planned.features[i]!] = result.values[i]!
  return { status: 'fresh', account: result.account, referrer: result.peeked?.[0] ?? null }
}

/** A concurrent retry of the same event_id waits briefly for the first request's decision. */
async function waitForStored(store: VelocityStore, key: string): Promise<{ status: 'replayed'; stored: string }> {
  for (let i = 0; i < 20; i++) {
    await sleep(5 + i * 2)
    const stored = await store.stored(key)
    if (stored !== null && !stored.startsWith(PENDING_PREFIX)) return { status: 'replayed', stored }
  }
  throw new ConflictError()
}
