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
})
