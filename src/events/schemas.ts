import { z } from 'zod'

/**
 * The three doors as zod schemas. These are the single source for validation, TypeScript types and the
 * OpenAPI document. Only integration errors are refused here; values an end user can type or forge
 * (email, phone, form timings, user agent) are accepted as-is and judged by the signals stage.
 */

const Rfc3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp' })

export const Device = z.strictObject({
  id: z.string().min(1).max(256).optional().describe('client fingerprint'),
  platform: z.enum(['web', 'ios', 'android', 'mini_program']).optional(),
  emulator: z.boolean().optional(),
  rooted: z.boolean().optional(),
  headless: z.boolean().optional(),
})

export const Behavior = z.strictObject({
  fill_ms: z.number().optional().describe('time spent on the form; out-of-range values are scored, not refused'),
  keystrokes: z.number().optional(),
  pointer_moves: z.number().optional(),
  pastes: z.number().optional(),
})

const common = {
  event_id: z.string().min(1).max(128).describe('unique per attempt; the idempotency key'),
  occurred_at: Rfc3339.optional(),
  ip: z.union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' }),
  user_agent: z.string().optional(),
  device: Device.optional(),
  behavior: Behavior.optional(),
}

const AccountId = z.string().min(1).max(256)

export const RegistrationEvent = z.strictObject({
  ...common,
  event: z.literal('registration'),
  account_id: AccountId.describe("the new account's id"),
  email: z.string().optional(),
  phone: z.string().optional(),
  referral_code: z.string().max(256).optional(),
  referrer_account_id: AccountId.optional().describe('the account that owns the referral code, where the storefront knows it: Bouncer reads what it remembers of that account'),
})

export const LoginEvent = z.strictObject({
  ...common,
  event: z.literal('login'),
  account_id: AccountId,
  outcome: z.enum(['success', 'failure']).describe('the password/OTP check result'),
  method: z.enum(['password', 'sms', 'oauth', 'passkey']).optional(),
})

export const CouponClaimEvent = z.strictObject({
  ...common,
  event: z.literal('coupon_claim'),
  account_id: AccountId,
  coupon_id: z.string().min(1).max(256),
  campaign_id: z.string().min(1).max(256).optional(),
  value: z.number().min(0).optional().describe('face value in minor currency units'),
  shipping_address: z.string().optional(),
  payment_fingerprint: z.string().max(512).optional(),
  account_created_at: Rfc3339.optional(),
})

export const ScoreRequest = z.discriminatedUnion('event', [RegistrationEvent, LoginEvent, CouponClaimEvent])
export type ScoreRequest = z.infer<typeof ScoreRequest>
export type RegistrationEvent = z.infer<typeof RegistrationEvent>
export type LoginEvent = z.infer<typeof LoginEvent>
export type CouponClaimEvent = z.infer<typeof CouponClaimEvent>
export type EventType = ScoreRequest['event']
export const EVENT_TYPES = ['registration', 'login', 'coupon_claim'] as const satisfies readonly EventType[]

export const FeedbackRequest = z.strictObject({
  event_id: z.string().min(1).max(128),
  label: z.enum(['fraud', 'legit']),
  source: z.string().min(1).max(64).describe('chargeback, manual_review, user_report or your own'),
  note: z.string().max(2000).optional(),
})
export type FeedbackRequest = z.infer<typeof FeedbackRequest>

export const Decision = z.enum(['allow', 'challenge', 'review', 'deny'])
export type Decision = z.infer<typeof Decision>
/** The one severity order: a decision's index is its severity (allow 0 … deny 3). */
export const DECISION_ORDER: readonly Decision[] = Decision.options
export const SEVERITY: Readonly<Record<Decision, number>> = { allow: 0, challenge: 1, review: 2, deny: 3 }

export const Reason = z.object({
  code: z.string(),
  rule: z.string(),
  /** the decision this reason asks for: a rule's action, the score threshold reached, or the degraded floor. The reasons whose action equals the decision are the ones that caused it. */
  action: Decision.optional(),
  detail: z.string().optional(),
})
export type Reason = z.infer<typeof Reason>

export const ScoreResponse = z.object({
  event_id: z.string(),
  event: z.enum(EVENT_TYPES),
  decision: Decision,
  score: z.number().int().min(0).max(100),
  reasons: z.array(Reason),
  model: z
    .object({
      id: z.string(),
      version: z.string(),
      /** the model's raw output: a rank on its training traffic, not a probability at your fraud rate */
      score: z.number(),
      /** the chance this event is fraud at the card's base rate (calibration.base_rate), when the model is calibrated */
      probability: z.number().optional(),
    })
    .nullable(),
  rules: z.object({ version: z.string(), matched: z.array(z.string()), shadow_matched: z.array(z.string()) }),
  degraded: z.array(z.string()),
  replayed: z.boolean(),
  latency_ms: z.number(),
  decision_id: z.string(),
  features: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])).optional(),
})
export type ScoreResponse = z.infer<typeof ScoreResponse>

export const ErrorResponse = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
})

/** Turn zod issues into the contract's `{ path, message }` list, naming unknown keys by their full path. */
export function toIssues(error: z.ZodError): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = []
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.')
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ path: base ? `${base}.${k}` : k, message: 'unknown field' })
    } else {
      out.push({ path: base || '(body)', message: issue.message })
    }
  }
  return out
}
