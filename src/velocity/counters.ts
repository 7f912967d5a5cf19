import type { EventType, ScoreRequest } from '../events/schemas.js'
import { REQUEST_CATALOG, type FeatureDef } from '../features/catalog.js'
import type { Identity, KeyField } from '../features/identity.js'

export { KEY_ALIASES, KEY_FIELDS, type Identity, type KeyField } from '../features/identity.js'
import type { CounterOp } from './store.js'

/** Buckets per window: the count error is at most one bucket (1/60 of the window) at the trailing edge. */
export const BUCKETS_PER_WINDOW = 60
/** The most one event adds to a sum: 10^12 minor units (10 billion in major units). */
export const MAX_SUM_ADD = 1e12
/** Exact distinct members kept per key; past it the oldest are dropped and HyperLogLogs estimate the count. */
export const DISTINCT_CAP = 1000
/** The counters file in a rules directory. */
export const COUNTERS_FILE = 'counters.yaml'

/** `10m`, `1h`, `24h`, `7d` → milliseconds; undefined when not a window this store supports. */
export function windowMs(w: string): number | undefined {
  const m = /^([1-9][0-9]*)(m|h|d)$/.exec(w)
  if (!m) return undefined
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']
  return ms >= 60_000 && ms <= 30 * 86_400_000 ? ms : undefined
}

export interface CounterSpec {
  /** feature name stem (`ip.registrations`); the features are `${name}_${window}` */
  name: string
  description: string
  key: KeyField[]
  /** count events, count distinct values of another identifier, or sum a numeric request feature */
  aggregate: 'count' | 'distinct' | 'sum'
  /** distinct: the identifier counted; sum: the feature summed */
  of?: string
  windows: string[]
  /** events that add to the counter */
  events: EventType[]
  /** events whose features include the counter; defaults to `events` */
  reads?: EventType[]
  /** only events passing this add to it (they still read it) */
  /** `slots`: the event's request features in REQUEST_CATALOG order, built once per event for every filter */
  where?: { expr: string; test: (slots: unknown[]) => boolean }
  /** where it was declared, for messages */
  at?: string
}

/** The velocity features a set of counters adds to the catalog. */
export function counterFeatures(specs: readonly CounterSpec[]): FeatureDef[] {
  return specs.flatMap((c) => {
    const what = c.aggregate === 'sum' ? `sum of ${c.of}` : c.aggregate === 'distinct' ? `distinct ${c.of}` : 'count'
    return c.windows.map((w) => ({ name: `${c.name}_${w}`, type: 'number' as const, description: `${c.description} (${what}, last ${w})`, events: [...(c.reads ?? c.events)] }))
  })
}

/** Bumped when the key layout changes, so a new layout never reads an old one's values. */
export const KEY_VERSION = 'v4'

interface CompiledCounter {
  spec: CounterSpec
  /** the entity part of the hash tag: `ip`, `campaign+device` */
  tagName: string
  features: string[]
  reads: Set<EventType>
  feeds: Set<EventType>
  windowsMs: number[]
}

export interface PlannedOps {
  ops: CounterOp[]
  /** feature names, aligned with the values the store returns */
  features: string[]
}

/** Precomputes per-counter metadata once; `plan` then builds the store ops for one event. */
export class CounterPlan {
  private readonly compiled: CompiledCounter[]
  constructor(
    private readonly prefix: string,
    readonly specs: readonly CounterSpec[],
  ) {
    this.compiled = specs.map((spec) => ({
      spec,
      tagName: spec.key.join('+'),
      features: spec.windows.map((w) => `${spec.name}_${w}`),
      reads: new Set(spec.reads ?? spec.events),
      feeds: new Set(spec.events),
      windowsMs: spec.windows.map((w) => windowMs(w)!),
    }))
  }

  /** The account's memory (first seen, registration score): same hash tag as the account's counters. */
  accountKey(id: Identity): string {
    return `${this.prefix}${KEY_VERSION}:{account:${id.account}}:mem`
  }

  /** An event's idempotency key: a slot of its own. */
  idempotencyKey(eventHash: string): string {
    return `${this.prefix}${KEY_VERSION}:{idem:${eventHash}}`
  }

  /**
   * The store ops of one event. `features` are its request features, read by `where` filters and by sums.
   * A counter whose key (or distinct member) the event lacks is neither read nor fed: its features are absent.
   */
  plan(e: ScoreRequest, id: Identity, features: Readonly<Record<string, unknown>>): PlannedOps {
    const ops: CounterOp[] = []
    const out: string[] = []
    let slots: unknown[] | undefined
    for (const c of this.compiled) {
      if (!c.reads.has(e.event)) continue
      let keyPart = ''
      let complete = true
      for (const f of c.spec.key) {
        const v = id[f]
        if (v === undefined) {
          complete = false
          break
        }
        keyPart += keyPart === '' ? v : `|${v}`
      }
      if (!complete) continue
      // The hash tag names the entity, so one entity's counters share a Redis Cluster slot and one Lua call.
      const base = `${this.prefix}${KEY_VERSION}:{${c.tagName}:${keyPart}}:${c.spec.name}`
      const feeds = c.feeds.has(e.event) && (c.spec.where === undefined || c.spec.where.test((slots ??= REQUEST_CATALOG.toSlots(features))))
      if (c.spec.aggregate === 'distinct') {
        const member = id[c.spec.of as KeyField]
        if (member === undefined) continue
        ops.push({ kind: 'distinct', key: base, member: feeds ? member : '', windowsMs: c.windowsMs, cap: DISTINCT_CAP })
        out.push(...c.features)
      } else {
        let add = 0
        if (feeds) {
          if (c.spec.aggregate === 'count') add = 1
          else {
            // Sums add whole, non-negative amounts (minor currency units); anything else adds nothing. One event
            // adds at most MAX_SUM_ADD, so a forged 1e19 cannot overflow Redis's 64-bit HINCRBY (which would fail
            // the event's call and leave the account's counters unreadable for the window).
            const v = features[c.spec.of!]
            add = typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(Math.round(v), MAX_SUM_ADD) : 0
          }
        }
        ops.push({ kind: 'count', key: base, add, windowsMs: c.windowsMs, buckets: BUCKETS_PER_WINDOW })
        out.push(...c.features)
      }
    }
    return { ops, features: out }
  }
}
