import type { Decision, ScoreRequest } from '../events/schemas.js'
import type { Features } from '../features/extract.js'

export interface DecisionLog {
  decision_id: string
  event_id_hash: string
  event: string
  decision: string
  score: number
  model: string | null
  model_score: number | null
  rules_version: string
  matched: string[]
  shadow_matched: string[]
  degraded: string[]
  /** a retry of an event_id already decided: the stored answer was returned, nothing was counted again */
  replayed: boolean
  latency_ms: number
  ids: Record<string, string | undefined>
  challenger?: { model: string; score: number; decision: Decision } | undefined
  /** the request with every identifier and free-text field removed (those are in `ids`, hashed) */
  input: Record<string, unknown>
}

/**
 * What a decision log may keep of the request: event shape, client flags and numbers, coarse attributes
 * (email domain, phone country), never an identifier or free text.
 */
export function redactInput(req: ScoreRequest, features: Features): Record<string, unknown> {
  const out: Record<string, unknown> = { event: req.event }
  if (req.occurred_at !== undefined) out.occurred_at = req.occurred_at
  if (req.device) out.device = { platform: req.device.platform, emulator: req.device.emulator, rooted: req.device.rooted, headless: req.device.headless, id_present: req.device.id !== undefined }
  if (req.behavior) out.behavior = req.behavior
  if (req.user_agent !== undefined) out.user_agent = { browser: features['ua.browser'], os: features['ua.os'], length: req.user_agent.length }
  out.ip = { version: features['ip.version'], asn: features['ip.asn'] }
  if (req.event === 'registration') {
    if (req.email !== undefined) out.email = { domain: features['email.domain'] ?? '' }
    if (req.phone !== undefined) out.phone = { country: features['phone.country'] ?? '' }
    out.referral_code_present = req.referral_code !== undefined
  } else if (req.event === 'login') {
    out.outcome = req.outcome
    if (req.method !== undefined) out.method = req.method
  } else {
    out.coupon_id = req.coupon_id
    if (req.campaign_id !== undefined) out.campaign_id = req.campaign_id
    if (req.value !== undefined) out.value = req.value
    out.shipping_address_present = req.shipping_address !== undefined
    out.payment_fingerprint_present = req.payment_fingerprint !== undefined
    if (req.account_created_at !== undefined) out.account_created_at = req.account_created_at
  }
  return out
}
