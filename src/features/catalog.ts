import type { EventType } from '../events/schemas.js'
import { sourceDerived, type DerivedFeature } from './derived.js'

export type FeatureType = 'number' | 'bool' | 'string'
export interface FeatureDef {
  name: string
  type: FeatureType
  description: string
  /** doors where the feature can be present; absent elsewhere */
  events: EventType[]
}

const ALL: EventType[] = ['registration', 'login', 'coupon_claim']
const REG: EventType[] = ['registration']
const LOGIN: EventType[] = ['login']
const CLAIM: EventType[] = ['coupon_claim']

const STATIC: [string, FeatureType, string, EventType[]][] = [
  ['event.is_registration', 'bool', 'the event is a registration', ALL],
  ['event.is_login', 'bool', 'the event is a login', ALL],
  ['event.is_coupon_claim', 'bool', 'the event is a coupon claim', ALL],
  ['ip.address', 'string', 'the IP address, canonical form (for lists: ip.address in list(\'blocked_ips\'))', ALL],
  ['ip.version', 'number', '4 or 6', ALL],
  ['ip.asn', 'number', 'autonomous system number of the IP (0 when unknown)', ALL],
  ['ip.hosting', 'bool', 'the IP belongs to a hosting/cloud/VPN network (rules/lists/hosting_asns.txt)', ALL],
  ['ip.private', 'bool', 'loopback or private address: the storefront passed an internal IP', ALL],
  ['ua.present', 'bool', 'a user agent was sent', ALL],
  ['ua.bot', 'bool', 'the user agent is a known bot or crawler (isbot, less the patterns that matched real shoppers: src/signals/useragent.ts)', ALL],
  ['ua.automation', 'bool', 'headless browser, automation framework or HTTP library', ALL],
  ['ua.truncated', 'bool', 'the user agent exceeded 1024 characters', ALL],
  ['ua.length', 'number', 'user agent length', ALL],
  ['ua.mobile', 'bool', 'the user agent is a phone or tablet', ALL],
  ['ua.browser', 'string', 'browser family, lower case', ALL],
  ['ua.os', 'string', 'operating system, lower case', ALL],
  ['device.id', 'string', 'the device id as sent (for lists)', ALL],
  ['device.present', 'bool', 'a device id was sent', ALL],
  ['device.emulator', 'bool', 'the client SDK reports an emulator', ALL],
  ['device.rooted', 'bool', 'the client SDK reports a rooted/jailbroken device', ALL],
  ['device.headless', 'bool', 'the client SDK reports a headless browser', ALL],
  ['device.platform', 'string', 'web, ios, android, mini_program or empty', ALL],
  ['device.ua_mismatch', 'bool', 'the native SDK platform names an OS the user agent rules out (an iOS SDK with an Android or HarmonyOS user agent, an Android SDK with an iPhone or iPad one); a weak signal, for the model and shadow rules', ALL],
  ['behavior.present', 'bool', 'form timing was sent', ALL],
  ['behavior.fill_ms', 'number', 'time on the form, clamped to [0, 1 h]', ALL],
  ['behavior.keystrokes', 'number', 'keystrokes on the form', ALL],
  ['behavior.pointer_moves', 'number', 'pointer moves on the form', ALL],
  ['behavior.pastes', 'number', 'paste events on the form', ALL],
  ['behavior.invalid', 'bool', 'a behaviour value was negative, fractional or absurd (forged SDK data)', ALL],
  ['email.present', 'bool', 'an email was given', REG],
  ['email.malformed', 'bool', 'the email is not a valid address or carried control characters', REG],
  ['email.disposable', 'bool', 'the domain is a disposable mail provider', REG],
  ['email.free_mail', 'bool', 'the domain is a common free-mail provider', REG],
  ['email.plus_tag', 'bool', 'the address carries a +tag the provider ignores', REG],
  ['email.folded', 'bool', 'dots or a +tag were folded away to reach the canonical address', REG],
  ['email.local_length', 'number', 'length of the canonical local part', REG],
  ['email.digit_ratio', 'number', 'share of digits in the canonical local part', REG],
  ['email.domain', 'string', 'email domain, lower case', REG],
  ['phone.present', 'bool', 'a phone number was given', REG],
  ['phone.valid', 'bool', 'the phone number is valid for its country', REG],
  ['phone.country', 'string', 'ISO country of the phone number', REG],
  ['phone.mobile', 'bool', 'the phone number is a mobile line', REG],
  ['phone.virtual_operator', 'bool', 'Chinese virtual-operator segment 170/171/162/165/167', REG],
  ['referral.present', 'bool', 'a referral code was given', REG],
  ['referrer.known', 'bool', 'Bouncer scored the registration of the account that owns the referral code (needs referrer_account_id)', REG],
  ['referrer.age_s', 'number', 'seconds since the referrer registered, as Bouncer remembers it', REG],
  ['referrer.reg_score', 'number', 'the score Bouncer gave the referrer’s own registration', REG],
  ['referrer.reg_flagged', 'bool', 'Bouncer did not allow the referrer’s own registration', REG],
  ['referrer.same_device', 'bool', 'this sign-up comes from the device the referrer registered on (inviting yourself)', REG],
  ['login.failure', 'bool', 'the password/OTP check failed', LOGIN],
  ['login.method', 'string', 'password, sms, oauth, passkey or empty', LOGIN],
  ['coupon.value', 'number', 'face value in minor units (0 when not given)', CLAIM],
  ['coupon.has_campaign', 'bool', 'a campaign id was given', CLAIM],
  ['address.present', 'bool', 'a shipping address was given', CLAIM],
  ['payment.present', 'bool', 'a payment fingerprint was given', CLAIM],
  ['account.id', 'string', 'the account id as sent (for lists)', ALL],
  ['account.known', 'bool', 'Bouncer scored this account’s registration', CLAIM],
  ['account.age_s', 'number', 'seconds since the account registered (remembered, else account_created_at)', CLAIM],
  ['account.reg_score', 'number', 'the score Bouncer gave this account’s registration', CLAIM],
  ['account.reg_flagged', 'bool', 'Bouncer did not allow this account’s registration (challenge, review or deny)', CLAIM],
  ['account.reg_reasons', 'string', 'reason codes of the registration, comma-separated (account.reg_reasons.contains(\'DEVICE_FARM\'))', CLAIM],
  ['account.reg_same_device', 'bool', 'this event comes from the device that registered the account', CLAIM],
  ['account.reg_same_prefix', 'bool', 'this event comes from the /24 or /64 that registered the account', CLAIM],
  ['model.score', 'number', 'the model’s fraud probability, 0–1', ALL],
]

/**
 * Features that carry a raw identifier (for lists). They never leave the process: a rule's detail renders
 * them as `[redacted]`, since details are stored with the decision (Redis) and written to the decision log.
 */
export const IDENTIFIER_FEATURES: ReadonlySet<string> = new Set(['ip.address', 'device.id', 'account.id'])

export const STATIC_FEATURES: readonly FeatureDef[] = STATIC.map(([name, type, description, events]) => ({ name, type, description, events }))

/**
 * The features of one rules revision: the fixed request features first, then one per counter window
 * declared in that revision's counters.yaml, then the derived features those counters source. Compiled rules
 * read an event's features from an array in this order, so the fixed features keep their slots whatever the
 * counters are.
 */
export class Catalog {
  readonly features: readonly FeatureDef[]
  readonly index: ReadonlyMap<string, FeatureDef>
  readonly slot: ReadonlyMap<string, number>
  readonly namespaces: ReadonlySet<string>
  private readonly names: string[]

  /** computed from counter features after they are read, in dependency order */
  readonly derived: readonly DerivedFeature[]
  /** derived features these counters cannot source, with the features they lack */
  readonly unsourced: ReadonlyMap<string, string[]>

  constructor(counterFeatures: readonly FeatureDef[] = [], base: readonly FeatureDef[] = STATIC_FEATURES, withDerived = true) {
    const available = new Set([...base, ...counterFeatures].map((f) => f.name))
    const { sourced, unsourced } = withDerived ? sourceDerived(available) : { sourced: [], unsourced: new Map<string, string[]>() }
    this.derived = sourced
    this.unsourced = unsourced
    this.features = [...base, ...counterFeatures, ...sourced.map(({ name, type, description, events }) => ({ name, type, description, events }))]
    this.index = new Map(this.features.map((f) => [f.name, f]))
    this.slot = new Map(this.features.map((f, i) => [f.name, i]))
    this.namespaces = new Set(this.features.map((f) => f.name.slice(0, f.name.indexOf('.'))))
    this.names = this.features.map((f) => f.name)
  }

  /** The event's features as an array in catalog order (undefined where absent): one pass per event. */
  toSlots(flat: Record<string, unknown>): unknown[] {
    const n = this.names
    const out = new Array<unknown>(n.length)
    for (let i = 0; i < n.length; i++) out[i] = flat[n[i]!]
    return out
  }
}

/** Features computed after the counters are read: a counter's `where` filter cannot use them. */
const AFTER_VELOCITY = new Set(['referrer.known', 'referrer.age_s', 'referrer.reg_score', 'referrer.reg_flagged', 'referrer.same_device', 'model.score', 'account.known', 'account.age_s', 'account.reg_score', 'account.reg_flagged', 'account.reg_reasons', 'account.reg_same_device', 'account.reg_same_prefix'])

/** Only the request features: what a counter's `where` filter may read (it runs before any counter). */
export const REQUEST_CATALOG = new Catalog(
  [],
  STATIC_FEATURES.filter((f) => !AFTER_VELOCITY.has(f.name)),
  false,
)
