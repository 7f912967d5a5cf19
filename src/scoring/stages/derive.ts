import { parseMemo, type AccountMemo } from '../account-memory.js'
import type { ScoringEvent } from '../event.js'
import type { Velocity } from './velocity.js'

/**
 * Stage 3: features computed from the counters (the policy's derived features, each declaring what it reads)
 * and from what Bouncer remembers of the account and of the inviter. Returns the account's memory, which
 * persist carries forward.
 */
export function derive(ev: ScoringEvent, v: Velocity): AccountMemo | null {
  const f = ev.features
  for (const d of ev.policy.rules.catalog.derived) d.compute(f)
  const memo = v.status === 'fresh' ? parseMemo(v.account) : null
  const { identity, now, req } = ev
  if (v.status === 'fresh' && ev.referrerKey !== undefined) {
    const ref = parseMemo(v.referrer)
    f['referrer.known'] = ref !== null
    if (ref) {
      f['referrer.age_s'] = Math.max(0, Math.round((now - ref.t) / 1000))
      if (ref.s !== undefined) f['referrer.reg_score'] = ref.s
      if (ref.d !== undefined) f['referrer.reg_flagged'] = ref.d !== 'allow'
      if (ref.dv !== undefined && identity.device !== undefined) f['referrer.same_device'] = ref.dv === identity.device
    }
  }
  if (req.event === 'coupon_claim') {
    f['account.known'] = memo !== null
    const created = memo?.t ?? (req.account_created_at !== undefined ? Date.parse(req.account_created_at) : undefined)
    if (created !== undefined) f['account.age_s'] = Math.max(0, Math.round((now - created) / 1000))
    if (memo?.s !== undefined) f['account.reg_score'] = memo.s
    if (memo?.d !== undefined) f['account.reg_flagged'] = memo.d !== 'allow'
    if (memo?.r !== undefined) f['account.reg_reasons'] = memo.r.join(',')
    if (memo?.dv !== undefined && identity.device !== undefined) f['account.reg_same_device'] = memo.dv === identity.device
    if (memo?.px !== undefined && identity.ip_prefix !== undefined) f['account.reg_same_prefix'] = memo.px === identity.ip_prefix
  }
  return memo
}
