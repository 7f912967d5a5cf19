import { describe, expect, it } from 'vitest'
import { ScoreRequest, toIssues } from '../../src/events/schemas.js'
import { claim, login, registration } from '../helpers.js'

function issuesOf(body: unknown) {
  const r = ScoreRequest.safeParse(body)
  if (r.success) throw new Error('expected a validation error')
  return toIssues(r.error)
}

describe('score request schemas', () => {
  it.each([
    ['registration', registration()],
    ['login', login()],
    ['coupon_claim', claim({ account_created_at: '2025-01-01T08:00:00+08:00', shipping_address: 'x', payment_fingerprint: 'pf' })],
  ])('accepts a %s', (_n, body) => {
    expect(ScoreRequest.safeParse(body).success).toBe(true)
  })

  it('names an unknown top-level field', () => {
    expect(issuesOf({ ...login(), acount_id: 'x' })).toContainEqual({ path: 'acount_id', message: 'unknown field' })
  })

  it('names an unknown nested field by its full path', () => {
    expect(issuesOf({ ...login(), device: { idd: 'x' } })).toContainEqual({ path: 'device.idd', message: 'unknown field' })
  })

  it('refuses an unknown event with the field path', () => {
    expect(issuesOf({ ...login(), event: 'checkout' }).map((i) => i.path)).toEqual(['event'])
  })

  it.each([
    ['ip', { ip: '300.1.1.1' }],
    ['ip', { ip: 'localhost' }],
    ['occurred_at', { occurred_at: 'yesterday' }],
    ['outcome', { outcome: 'maybe' }],
    ['event_id', { event_id: '' }],
    ['event_id', { event_id: 'x'.repeat(129) }],
    ['device.platform', { device: { platform: 'symbian' } }],
    ['behavior.fill_ms', { behavior: { fill_ms: 'fast' } }],
  ])('refuses an integration error in %s', (path, over) => {
    expect(issuesOf({ ...login(), ...over }).map((i) => i.path)).toContain(path)
  })

  it('names each missing required field of a door', () => {
    const paths = issuesOf({ event: 'coupon_claim', event_id: 'x', ip: '1.2.3.4' }).map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(['account_id', 'coupon_id']))
  })

  it('accepts odd end-user values so they can be scored as signals', () => {
    const body = registration({ email: 'not an email\u0000', phone: '12', user_agent: 'x'.repeat(5000), behavior: { fill_ms: -5, keystrokes: 1e9, pastes: 0.5 } })
    expect(ScoreRequest.safeParse(body).success).toBe(true)
  })

  it('accepts IPv6 and IPv4-mapped addresses', () => {
    expect(ScoreRequest.safeParse(login({ ip: '240e:3b0::1' })).success).toBe(true)
    expect(ScoreRequest.safeParse(login({ ip: '::ffff:1.2.3.4' })).success).toBe(true)
  })
})
