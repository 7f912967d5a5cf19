import type { EventType, ScoreRequest } from '../events/schemas.js'
import type { CounterOp } from './store.js'

/** Identifiers a counter can be keyed on; values are keyed hashes, never raw PII. */
/** `site` is one constant key: whole-storefront counters, for campaign-level anomalies. */
export type KeyField = 'site' | 'ip' | 'ip_prefix' | 'device' | 'account' | 'email' | 'phone' | 'address' | 'payment' | 'campaign'
export type Identity = Partial<Record<KeyField, string>>

export const WINDOWS = { '10m': 600_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const
export type WindowName = keyof typeof WINDOWS

/** Buckets per window: the count error is at most one bucket (1/60 of the window) at the trailing edge. */
export const BUCKETS_PER_WINDOW = 60
/** Exact distinct members kept per key; past it the oldest are dropped, so the count saturates at the cap. */
export const DISTINCT_CAP = 1000

export interface CounterSpec {
  /** feature name stem; the features are `${name}_${window}` */
  name: string
  description: string
  key: KeyField[]
  /** count events, or count distinct values of another identifier */
  distinct?: KeyField
  windows: WindowName[]
  /** events that add to the counter */
  feeds: EventType[]
  /** only events passing this add to it (they are still read) */
  filter?: (e: ScoreRequest) => boolean
  /** events whose features include the counter; defaults to `feeds` */
  reads?: EventType[]
}

const ALL: EventType[] = ['registration', 'login', 'coupon_claim']
const failed = (e: ScoreRequest) => e.event === 'login' && e.outcome === 'failure'

/**
 * The starter counters for the three doors. Every feature includes the event being scored
 * (counts are read after this event's own increment).
 */
export const COUNTERS: CounterSpec[] = [
  { name: 'ip.registrations', description: 'registrations from this IP', key: ['ip'], windows: ['1h', '24h'], feeds: ['registration'] },
  { name: 'ip.prefix_registrations', description: 'registrations from this /24 (IPv4) or /64 (IPv6)', key: ['ip_prefix'], windows: ['1h', '24h'], feeds: ['registration'] },
  { name: 'device.registrations', description: 'registrations from this device', key: ['device'], windows: ['1h', '24h'], feeds: ['registration'] },
  { name: 'device.accounts', description: 'distinct accounts seen on this device at any door', key: ['device'], distinct: 'account', windows: ['1h', '24h'], feeds: ALL },
  { name: 'email.accounts', description: 'distinct accounts registered with this canonical email (dot and +tag variants fold together)', key: ['email'], distinct: 'account', windows: ['24h', '7d'], feeds: ['registration'] },
  { name: 'phone.accounts', description: 'distinct accounts registered with this phone number', key: ['phone'], distinct: 'account', windows: ['24h', '7d'], feeds: ['registration'] },
  { name: 'ip.login_failures', description: 'failed logins from this IP', key: ['ip'], windows: ['10m', '1h'], feeds: ['login'], filter: failed },
  { name: 'ip.prefix_login_failures', description: 'failed logins from this /24 or /64 (catches rotation inside one IPv6 /64)', key: ['ip_prefix'], windows: ['10m', '1h'], feeds: ['login'], filter: failed },
  { name: 'account.login_failures', description: 'failed logins on this account', key: ['account'], windows: ['1h', '24h'], feeds: ['login'], filter: failed },
  { name: 'ip.accounts_tried', description: 'distinct accounts attempting login from this IP', key: ['ip'], distinct: 'account', windows: ['10m', '1h'], feeds: ['login'] },
  { name: 'ip.prefix_accounts_tried', description: 'distinct accounts attempting login from this /24 or /64', key: ['ip_prefix'], distinct: 'account', windows: ['1h'], feeds: ['login'] },
  { name: 'account.ips', description: 'distinct IPs this account was seen from', key: ['account'], distinct: 'ip', windows: ['24h'], feeds: ALL },
  { name: 'account.devices', description: 'distinct devices this account was seen on', key: ['account'], distinct: 'device', windows: ['24h'], feeds: ALL },
  { name: 'site.logins', description: 'logins across the whole storefront', key: ['site'], windows: ['10m'], feeds: ['login'] },
  { name: 'site.login_failures', description: 'failed logins across the whole storefront', key: ['site'], windows: ['10m'], feeds: ['login'], filter: failed },
  { name: 'ip.claims', description: 'coupon claims from this IP, all campaigns', key: ['ip'], windows: ['1h', '24h'], feeds: ['coupon_claim'] },
  { name: 'ip.campaign_claims', description: 'claims of this campaign from this IP', key: ['campaign', 'ip'], windows: ['1h', '24h'], feeds: ['coupon_claim'] },
  { name: 'ip.prefix_campaign_claims', description: 'claims of this campaign from this /24 or /64', key: ['campaign', 'ip_prefix'], windows: ['1h', '24h'], feeds: ['coupon_claim'] },
  { name: 'device.campaign_claims', description: 'claims of this campaign from this device', key: ['campaign', 'device'], windows: ['24h'], feeds: ['coupon_claim'] },
  { name: 'account.claims', description: 'coupon claims by this account', key: ['account'], windows: ['24h'], feeds: ['coupon_claim'] },
  { name: 'address.accounts', description: 'distinct accounts claiming to this shipping address', key: ['address'], distinct: 'account', windows: ['24h', '7d'], feeds: ['coupon_claim'] },
  { name: 'payment.accounts', description: 'distinct accounts claiming with this payment fingerprint', key: ['payment'], distinct: 'account', windows: ['24h', '7d'], feeds: ['coupon_claim'] },
]

/** Bumped when the key layout changes, so a new layout never reads an old one's values. */
export const KEY_VERSION = 'v2'

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
  constructor(private readonly prefix: string, specs: CounterSpec[] = COUNTERS) {
    this.compiled = specs.map((spec) => ({
      spec,
      tagName: spec.key.join('+'),
      features: spec.windows.map((w) => `${spec.name}_${w}`),
      reads: new Set(spec.reads ?? spec.feeds),
      feeds: new Set(spec.feeds),
      windowsMs: spec.windows.map((w) => WINDOWS[w]),
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

  /** every velocity feature name with its description, for the catalog */
  featureNames(): { name: string; description: string; events: EventType[] }[] {
    return this.compiled.flatMap((c) => c.features.map((name, i) => ({ name, description: `${c.spec.description}, last ${c.spec.windows[i]}`, events: [...c.reads] })))
  }

  plan(e: ScoreRequest, id: Identity): PlannedOps {
    const ops: CounterOp[] = []
    const features: string[] = []
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
      const adds = c.feeds.has(e.event) && (c.spec.filter?.(e) ?? true)
      if (c.spec.distinct) {
        const member = id[c.spec.distinct]
        if (member === undefined) continue
        ops.push({ kind: 'distinct', key: base, member: adds ? member : '', windowsMs: c.windowsMs, cap: DISTINCT_CAP })
        features.push(...c.features)
      } else {
        for (let i = 0; i < c.windowsMs.length; i++) {
          const windowMs = c.windowsMs[i]!
          ops.push({ kind: 'count', key: `${base}:${c.spec.windows[i]}`, add: adds ? 1 : 0, windowMs, bucketMs: windowMs / BUCKETS_PER_WINDOW })
          features.push(c.features[i]!)
        }
      }
    }
    return { ops, features }
  }
}
