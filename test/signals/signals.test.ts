import { describe, expect, it } from 'vitest'
import { emailSignals, normalizeEmail, DisposableDomains } from '../../src/signals/email.js'
import { isPrivate, AsnDb } from '../../src/signals/ipinfo.js'
import { phoneSignals } from '../../src/signals/phone.js'
import { UaAnalyzer } from '../../src/signals/useragent.js'
import { sharedSignalData } from '../../src/signals/shared-data.js'
import { parseIp } from '../../src/util/ip.js'

describe('email', () => {
  const disposable = new DisposableDomains()
  it('folds Gmail dots and +tags into one canonical inbox', () => {
    const a = normalizeEmail('Li.Wei.1990+promo@GoogleMail.com')
    expect(a.canonical).toBe('liwei1990@gmail.com')
    expect(a.folded).toBe(true)
    expect(normalizeEmail('liwei1990@gmail.com').canonical).toBe(a.canonical)
  })
  it('keeps dots where the provider does not ignore them', () => {
    expect(normalizeEmail('li.wei@qq.com').canonical).toBe('li.wei@qq.com')
  })
  it('applies NFKC, so full-width look-alikes fold too', () => {
    expect(normalizeEmail('ｌｉｗｅｉ@gmail.com').canonical).toBe('liwei@gmail.com')
  })
  it('flags malformed and control-character addresses instead of refusing them', () => {
    expect(emailSignals('no-at-sign', disposable)!.malformed).toBe(true)
    expect(emailSignals('a\u0000b@qq.com', disposable)!.malformed).toBe(true)
    expect(emailSignals('ab@qq.com', disposable)!.malformed).toBe(false)
  })
  it('recognises disposable domains from the maintained list, including subdomains of wildcard entries', () => {
    expect(emailSignals('x@mailinator.com', disposable)!.disposable).toBe(true)
    expect(emailSignals('x@qq.com', disposable)!.disposable).toBe(false)
    expect(new DisposableDomains(['my-burner.example']).has('my-burner.example')).toBe(true)
  })
  it('measures digit ratio and length of the canonical local part', () => {
    const s = emailSignals('1234567890@163.com', disposable)!
    expect(s.digit_ratio).toBe(1)
    expect(s.local_length).toBe(10)
    expect(emailSignals('abcd12@qq.com', disposable)!.digit_ratio).toBeCloseTo(2 / 6, 3)
  })
})

describe('phone', () => {
  it('flags Chinese virtual-operator segments', () => {
    for (const seg of ['170', '171', '162', '165', '167']) expect(phoneSignals(`+86${seg}12345678`)!.virtual_operator).toBe(true)
    expect(phoneSignals('+8613800138000')!.virtual_operator).toBe(false)
  })
  it('reads bare Chinese mobile numbers and reports country and validity', () => {
    expect(phoneSignals('13800138000')).toMatchObject({ valid: true, country: 'CN', e164: '+8613800138000', mobile: true })
    expect(phoneSignals('+14155552671')!.country).toBe('US')
    expect(phoneSignals('12')!.valid).toBe(false)
  })
})

describe('IP owner', () => {
  const { asn } = sharedSignalData()
  it('maps addresses to their autonomous system from the shipped dataset', () => {
    expect(asn.size).toBeGreaterThan(100_000)
    expect(asn.lookup(parseIp('8.8.8.8')!)).toBe(15169)
    expect(asn.lookup(parseIp('1.1.1.1')!)).toBe(13335)
    expect(asn.lookup(parseIp('2001:4860:4860::8888')!)).toBe(15169)
  })
  it('returns 0 outside every range', () => {
    expect(asn.lookup(parseIp('10.1.2.3')!)).toBe(0)
  })
  it('bisects correctly on a small table', () => {
    const db = new AsnDb('10,20,1,a\n30,40,2,b\n', '')
    expect([5, 10, 20, 25, 30, 40, 41].map((n) => db.lookup({ version: 4, canonical: '', prefix: '', high: n }))).toEqual([0, 1, 1, 0, 2, 2, 0])
  })
  it('recognises private and loopback addresses', () => {
    for (const ip of ['10.0.0.1', '192.168.1.1', '172.16.0.1', '127.0.0.1', '100.64.0.1', '::1', 'fd00::1', 'fe80::1']) expect(isPrivate(parseIp(ip)!), ip).toBe(true)
    for (const ip of ['8.8.8.8', '172.32.0.1', '240e::1']) expect(isPrivate(parseIp(ip)!), ip).toBe(false)
  })
})

describe('user agent', () => {
  const ua = new UaAnalyzer(4)
  it('flags automation and bots', () => {
    expect(ua.analyze('python-requests/2.32.3').automation).toBe(true)
    expect(ua.analyze('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/128.0.0.0 Safari/537.36').automation).toBe(true)
    expect(ua.analyze('Googlebot/2.1 (+http://www.google.com/bot.html)').bot).toBe(true)
  })
  it('leaves ordinary browsers alone and reads their OS', () => {
    const s = ua.analyze('Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1')
    expect(s).toMatchObject({ bot: false, automation: false, os: 'ios', mobile: true })
  })
  it('truncates and flags a huge user agent', () => {
    const s = ua.analyze('Mozilla/5.0 ' + 'x'.repeat(5000))
    expect(s.truncated).toBe(true)
    expect(s.length).toBe(5012)
  })
  it('reports a missing user agent', () => {
    expect(ua.analyze(undefined).present).toBe(false)
    expect(ua.analyze('  ').present).toBe(false)
  })
})
