import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeHasher } from '../../src/util/hash.js'

describe('identifier hashing', () => {
  it.each([
    ['a short secret', 'dev-secret-0123456789'],
    ['a secret longer than the block', 'x'.repeat(100)],
    ['a non-ASCII secret', 'sécret-密钥-0123456789'],
  ])('is HMAC-SHA-256 of kind\\0value, as createHmac computes it, with %s', (_what, secret) => {
    const h = makeHasher(secret)
    for (const [kind, value] of [['ip', '203.0.113.7'], ['email', 'ａｌｉｃｅ@example.com'], ['acct', ''], ['dev', 'x'.repeat(300)]] as const) {
      const want = createHmac('sha256', secret).update(`${kind}\0${value}`).digest('base64url').slice(0, 22)
      expect(h(kind, value)).toBe(want)
    }
  })
  it('separates kinds and secrets', () => {
    expect(makeHasher('s-0123456789abcdef')('ip', 'x')).not.toBe(makeHasher('s-0123456789abcdef')('email', 'x'))
    expect(makeHasher('s-0123456789abcdef')('ip', 'x')).not.toBe(makeHasher('t-0123456789abcdef')('ip', 'x'))
  })
  it('remembers recent identifiers without changing any hash, across generations', () => {
    const plain = makeHasher('s-0123456789abcdef')
    const cached = makeHasher('s-0123456789abcdef', { cacheSize: 50, uncached: ['event'] })
    let seed = 3
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    // 2,000 lookups over 120 values: repeats inside and across the two 50-entry generations, and rollovers
    for (let i = 0; i < 2000; i++) {
      const kind = ['ip', 'dev', 'event'][rand() % 3]!
      const value = `v${rand() % 120}`
      expect(cached(kind, value), `${kind} ${value}`).toBe(plain(kind, value))
    }
    expect(cached.held()).toBeGreaterThan(0)
  })
  it('keeps an identifier from its second sighting, never one seen once', () => {
    const cached = makeHasher('s-0123456789abcdef', { cacheSize: 10_000 })
    for (let i = 0; i < 2000; i++) cached('dev', `once-${i}`)
    expect(cached.held()).toBe(0)
    for (let i = 0; i < 2000; i++) cached('dev', `twice-${i}`)
    for (let i = 0; i < 2000; i++) cached('dev', `twice-${i}`)
    // a doorkeeper slot that another value took in between forgets the first sighting: a few may wait for a third
    expect(cached.held()).toBeGreaterThan(1950)
    expect(cached.held()).toBeLessThanOrEqual(2000)
  })
})
