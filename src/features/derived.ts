import type { EventType } from '../events/schemas.js'
import type { FeatureDef } from './catalog.js'
import type { Features } from './extract.js'

/**
 * A feature computed from counter features once they are read. It names the features it reads, so a policy
 * whose counters no longer provide them leaves it unsourced: a rule or model that reads it is refused at load
 * (and by `rules:check`) instead of silently reading nothing.
 */
export interface DerivedFeature extends FeatureDef {
  reads: readonly string[]
  /** writes `name` into `f` when its inputs are present (they are absent at doors their counters skip) */
  compute(f: Features): void
}

const LOGIN: EventType[] = ['login']
const ALL: EventType[] = ['registration', 'login', 'coupon_claim']

// Smoothed toward a typical failure share with pseudo-logins, so a quiet or just-started service does not
// read one typo (1 of 1) as a credential-stuffing campaign; real campaigns have the volume to show.
const SITE_PRIOR_LOGINS = 50
const SITE_PRIOR_FAILURE_SHARE = 0.1

/**
 * Novelty only counts where there is history: on a fresh deployment (or an account's first event) nothing is
 * new, so these are false rather than reading "not watched yet" as "never seen here".
 */
function novelty(name: string, what: string, counter: string): DerivedFeature {
  return {
    name,
    type: 'bool',
    description: `Bouncer has seen this account before (account.events_30d > 1) and never ${what} (${counter} = 1); false without that history`,
    events: ALL,
    reads: ['account.events_30d', counter],
    compute(f) {
      const seen = f['account.events_30d']
      if (typeof seen === 'number') f[name] = seen > 1 && f[counter] === 1
    },
  }
}

export const DERIVED_FEATURES: readonly DerivedFeature[] = [
  {
    name: 'site.login_failure_ratio_10m',
    type: 'number',
    description: 'share of all logins in the last 10 min that failed, smoothed with 50 pseudo-logins at 10% (so one typo on a quiet site reads ~12%); a credential-stuffing campaign drives it up',
    events: LOGIN,
    reads: ['site.logins_10m', 'site.login_failures_10m'],
    compute(f) {
      const logins = f['site.logins_10m']
      const failures = f['site.login_failures_10m']
      if (typeof logins !== 'number' || typeof failures !== 'number') return
      f['site.login_failure_ratio_10m'] = Math.round(((failures + SITE_PRIOR_LOGINS * SITE_PRIOR_FAILURE_SHARE) / (logins + SITE_PRIOR_LOGINS)) * 1e4) / 1e4
    },
  },
  novelty('account.new_device', 'on this device', 'account.device_events_30d'),
  novelty('account.new_prefix', 'from this /24 or /64', 'account.prefix_events_30d'),
]

/** The derived features a set of available features can source, and the ones it cannot with what they lack. */
export function sourceDerived(available: ReadonlySet<string>): { sourced: DerivedFeature[]; unsourced: Map<string, string[]> } {
  const sourced: DerivedFeature[] = []
  const unsourced = new Map<string, string[]>()
  for (const d of DERIVED_FEATURES) {
    const missing = d.reads.filter((r) => !available.has(r))
    if (missing.length === 0) sourced.push(d)
    else unsourced.set(d.name, missing)
  }
  return { sourced, unsourced }
}

/** Why a derived feature cannot be read: what it is computed from, and that no counter provides it. */
export function unsourcedReason(missing: readonly string[]): string {
  return `has no source: it is derived from ${missing.map((m) => `\`${m}\``).join(', ')}, which no counter in counters.yaml declares`
}
