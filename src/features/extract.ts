import type { ScoreRequest } from '../events/schemas.js'
import { emailSignals, type DisposableDomains } from '../signals/email.js'
import { isPrivate, type AsnDb } from '../signals/ipinfo.js'
import { phoneSignals } from '../signals/phone.js'
import { platformContradicts, type UaAnalyzer } from '../signals/useragent.js'
import type { Hasher } from '../util/hash.js'
import { parseIp } from '../util/ip.js'
import type { Identity } from './identity.js'

export type FeatureValue = number | boolean | string
/** Flat feature map keyed by dotted names (`ip.hosting`). Absent keys are missing features. */
export type Features = Record<string, FeatureValue>

export interface SignalDeps {
  asn: AsnDb
  hostingAsns: ReadonlySet<number>
  disposable: DisposableDomains
  ua: UaAnalyzer
  hash: Hasher
}

export interface Extracted {
  features: Features
  identity: Identity
}

const MAX_FILL_MS = 3_600_000
const MAX_COUNT = 100_000

/** Clamp a client-reported number; report whether it had to be clamped, which is itself a signal. */
function clampNum(v: number, max: number): [number, boolean] {
  if (v < 0) return [0, true]
  if (v > max) return [max, true]
  return [v, false]
}

export function normalizeAddress(raw: string): string {
  return raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{C}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Request-only signals and the hashed identities velocity is keyed on. Pure; no I/O. */
/** Copies a signal's fields onto their feature names (`ns.field`), the names built once. */
function copier<T>(ns: string, keys: readonly (keyof T & string)[]): (f: Features, src: T) => void {
  const names = keys.map((k) => `${ns}.${k}`)
  return (f, src) => {
    for (let i = 0; i < keys.length; i++) f[names[i]!] = src[keys[i]!] as FeatureValue
  }
}
const copyUa = copier<ReturnType<UaAnalyzer['analyze']>>('ua', ['present', 'bot', 'automation', 'truncated', 'length', 'mobile', 'browser', 'os'])
const copyEmail = copier<NonNullable<ReturnType<typeof emailSignals>>>('email', ['malformed', 'disposable', 'free_mail', 'plus_tag', 'folded', 'local_length', 'digit_ratio', 'domain'])
const copyPhone = copier<NonNullable<ReturnType<typeof phoneSignals>>>('phone', ['valid', 'country', 'mobile', 'virtual_operator'])

export function extractFeatures(e: ScoreRequest, d: SignalDeps): Extracted {
  const f: Features = {}
  const id: Identity = { site: 'site' }
  f['event.is_registration'] = e.event === 'registration'
  f['event.is_login'] = e.event === 'login'
  f['event.is_coupon_claim'] = e.event === 'coupon_claim'

  const ip = parseIp(e.ip)
  if (ip) {
    const asn = d.asn.lookup(ip)
    f['ip.address'] = ip.canonical
    f['ip.version'] = ip.version
    f['ip.asn'] = asn
    f['ip.hosting'] = d.hostingAsns.has(asn)
    f['ip.private'] = isPrivate(ip)
    id.ip = d.hash('ip', ip.canonical)
    id.ip_prefix = d.hash('ipp', ip.prefix)
  }

  const ua = d.ua.analyze(e.user_agent)
  copyUa(f, ua)

  const dev = e.device
  f['device.present'] = dev?.id !== undefined
  f['device.emulator'] = dev?.emulator === true
  f['device.rooted'] = dev?.rooted === true
  f['device.headless'] = dev?.headless === true
  f['device.platform'] = dev?.platform ?? ''
  f['device.ua_mismatch'] = platformContradicts(dev?.platform, ua.family)
  if (dev?.id !== undefined) {
    f['device.id'] = dev.id
    id.device = d.hash('dev', dev.id)
  }

  const b = e.behavior
  f['behavior.present'] = b !== undefined && b.fill_ms !== undefined
  let invalid = false
  if (b) {
    if (b.fill_ms !== undefined) {
      const [v, bad] = clampNum(b.fill_ms, MAX_FILL_MS)
      f['behavior.fill_ms'] = v
      invalid ||= bad
    }
    for (const k of ['keystrokes', 'pointer_moves', 'pastes'] as const) {
      const raw = b[k]
      if (raw === undefined) continue
      const [v, bad] = clampNum(raw, MAX_COUNT)
      f[`behavior.${k}`] = Math.floor(v)
      invalid ||= bad || !Number.isInteger(raw)
    }
  }
  f['behavior.invalid'] = invalid

  f['account.id'] = e.account_id
  id.account = d.hash('acct', e.account_id)

  if (e.event === 'registration') {
    const em = emailSignals(e.email, d.disposable)
    f['email.present'] = em !== undefined
    if (em) {
      copyEmail(f, em)
      if (em.canonical !== '') id.email = d.hash('email', em.canonical)
    }
    const ph = phoneSignals(e.phone)
    f['phone.present'] = ph !== undefined
    if (ph) {
      copyPhone(f, ph)
      if (ph.valid) id.phone = d.hash('phone', ph.e164)
    }
    f['referral.present'] = e.referral_code !== undefined
    // Codes are case-insensitive in every storefront we know; a farm varying case must not split its count.
    if (e.referral_code !== undefined && e.referral_code.trim() !== '') id.referral = d.hash('ref', e.referral_code.normalize('NFKC').trim().toUpperCase())
  } else if (e.event === 'login') {
    f['login.failure'] = e.outcome === 'failure'
    f['login.method'] = e.method ?? ''
  } else {
    f['coupon.value'] = e.value ?? 0
    f['coupon.has_campaign'] = e.campaign_id !== undefined
    f['address.present'] = e.shipping_address !== undefined
    f['payment.present'] = e.payment_fingerprint !== undefined
    id.campaign = d.hash('camp', e.campaign_id ?? `coupon:${e.coupon_id}`)
    id.coupon = d.hash('coupon', e.coupon_id)
    if (e.shipping_address !== undefined) {
      const a = normalizeAddress(e.shipping_address)
      if (a !== '') id.address = d.hash('addr', a)
    }
    if (e.payment_fingerprint !== undefined) id.payment = d.hash('pay', e.payment_fingerprint)
  }
  return { features: f, identity: id }
}
