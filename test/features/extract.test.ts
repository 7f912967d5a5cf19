import { describe, expect, it } from 'vitest'
import { ScoreRequest } from '../../src/events/schemas.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'
import { extractFeatures } from '../../src/features/extract.js'
import { sharedSignalData } from '../../src/signals/shared-data.js'
import { UaAnalyzer } from '../../src/signals/useragent.js'
import { makeHasher } from '../../src/util/hash.js'
import { CounterPlan } from '../../src/velocity/counters.js'

const shipped = loadRuleSet('rules')
import { claim, login, registration } from '../helpers.js'

const data = sharedSignalData()
const deps = { ...data, ua: new UaAnalyzer(), hash: makeHasher('test-secret-0123456789'), hostingAsns: new Set([16509, 37963]) }
const extract = (body: Record<string, unknown>) => extractFeatures(ScoreRequest.parse(body), deps)

describe('feature extraction', () => {
  it('produces only catalogued features, for every door', () => {
    for (const body of [registration(), login(), claim({ shipping_address: 'a', payment_fingerprint: 'p' })]) {
      for (const k of Object.keys(extract(body).features)) expect(shipped.catalog.index.has(k), k).toBe(true)
    }
  })

  it('recognises a cloud address from the hosting list', () => {
    expect(extract(login({ ip: '47.100.10.20' })).features['ip.hosting']).toBe(true)
    expect(extract(login({ ip: '36.112.24.10' })).features['ip.hosting']).toBe(false)
  })

  it('clamps forged behaviour values and flags them', () => {
    const f = extract(registration({ behavior: { fill_ms: -50, keystrokes: 3.5 } })).features
    expect(f['behavior.fill_ms']).toBe(0)
    expect(f['behavior.invalid']).toBe(true)
    expect(extract(registration()).features['behavior.invalid']).toBe(false)
  })

  it('flags a native platform only where the user agent rules it out', () => {
    const android = 'Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.0.0 Mobile Safari/537.36'
    const windows = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36'
    expect(extract(login({ user_agent: android, device: { id: 'd', platform: 'ios' } })).features['device.ua_mismatch']).toBe(true)
    expect(extract(login({ user_agent: android, device: { id: 'd', platform: 'web' } })).features['device.ua_mismatch']).toBe(false)
    // an app can ask for desktop pages; a Windows user agent does not prove the iOS SDK payload forged
    expect(extract(login({ user_agent: windows, device: { id: 'd', platform: 'ios' } })).features['device.ua_mismatch']).toBe(false)
  })

  it('keys referral codes case-folded and hashed, and only when a code was sent', () => {
    const a = extract(registration({ referral_code: 'inv7Q2' })).identity.referral
    expect(a).toBeDefined()
    expect(extract(registration({ referral_code: ' INV7Q2 ' })).identity.referral).toBe(a)
    expect(extract(registration({ referral_code: 'INV7Q3' })).identity.referral).not.toBe(a)
    expect(a).not.toContain('INV7Q2')
    expect(extract(registration()).identity.referral).toBeUndefined()
  })

  it('hashes identities with the secret and never keeps raw PII', () => {
    const body = registration({ email: 'Li.Wei+x@gmail.com', phone: '+8613800138000', account_id: 'acct-raw-id' })
    const { identity } = extract(body)
    const all = JSON.stringify(identity)
    for (const raw of ['liwei', 'Li.Wei', '13800138000', 'acct-raw-id', '36.112.24.10']) expect(all).not.toContain(raw)
    expect(identity.email).toBe(extract(registration({ email: 'liwei@gmail.com' })).identity.email)
    const other = extractFeatures(ScoreRequest.parse(body), { ...deps, hash: makeHasher('another-secret-0123456') }).identity
    expect(other.email).not.toBe(identity.email)
  })

  it('keys IPv6 rotation inside one /64 to one prefix', () => {
    const a = extract(login({ ip: '240e:3b0:1:2::aaaa' })).identity
    const b = extract(login({ ip: '240e:3b0:1:2:ffff::1' })).identity
    expect(a.ip).not.toBe(b.ip)
    expect(a.ip_prefix).toBe(b.ip_prefix)
  })
})

describe('counter plan', () => {
  const plan = new CounterPlan('p:', shipped.counters)
  it('adds to failure counters only on failures, but reads them on every login', () => {
    const ok = ScoreRequest.parse(login({ outcome: 'success' }))
    const bad = ScoreRequest.parse(login({ outcome: 'failure' }))
    const id = extractFeatures(ok, deps).identity
    const find = (e: typeof ok) => plan.plan(e, id, extractFeatures(e, deps).features).ops.find((o) => o.key.endsWith(':ip.login_failures'))
    expect(find(ok)).toMatchObject({ kind: 'count', add: 0 })
    expect(find(bad)).toMatchObject({ kind: 'count', add: 1 })
  })
  it('skips counters whose key is missing (no device id, no device counters)', () => {
    const e = ScoreRequest.parse(login({ device: undefined }))
    const x = extractFeatures(e, deps)
    const p = plan.plan(e, x.identity, x.features)
    expect(p.features.some((f) => f.startsWith('device.'))).toBe(false)
    expect(p.features).toContain('ip.accounts_tried_10m')
  })
})
