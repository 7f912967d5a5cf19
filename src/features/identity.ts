/**
 * Identifiers a counter can be keyed on; values are keyed hashes, never raw PII. `site` is one constant
 * key: whole-storefront counters, for campaign-level anomalies.
 */
export const KEY_FIELDS = ['site', 'ip', 'ip_prefix', 'device', 'account', 'email', 'phone', 'address', 'payment', 'campaign', 'coupon', 'referral'] as const
export type KeyField = (typeof KEY_FIELDS)[number]
export type Identity = Partial<Record<KeyField, string>>

/** The request's own field names, accepted in counters.yaml for the key fields they feed. */
export const KEY_ALIASES: Readonly<Record<string, KeyField>> = {
  'device.id': 'device',
  account_id: 'account',
  'email.canonical': 'email',
  'phone.e164': 'phone',
  shipping_address: 'address',
  payment_fingerprint: 'payment',
  campaign_id: 'campaign',
  coupon_id: 'coupon',
  referral_code: 'referral',
}
