import { describe, expect, it } from 'vitest'
import { parseIp } from '../../src/util/ip.js'

describe('parseIp', () => {
  it('keys IPv4 by /24', () => {
    expect(parseIp('36.112.24.10')).toMatchObject({ version: 4, canonical: '36.112.24.10', prefix: '36.112.24.0/24' })
  })
  it('expands IPv6 and keys it by /64, whatever the spelling', () => {
    const a = parseIp('240e:3b0:1234:5678::1')!
    const b = parseIp('240E:03B0:1234:5678:0:0:0:ffff')!
    expect(a.prefix).toBe('240e:3b0:1234:5678::/64')
    expect(b.prefix).toBe(a.prefix)
    expect(a.canonical).toBe('240e:3b0:1234:5678:0:0:0:1')
  })
  it('treats IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(parseIp('::ffff:36.112.24.10')).toMatchObject({ version: 4, canonical: '36.112.24.10' })
  })
  it('rejects malformed input', () => {
    expect(parseIp('1.2.3')).toBeUndefined()
    expect(parseIp('1:2:3:4:5:6:7:8:9')).toBeUndefined()
    expect(parseIp('1::2::3')).toBeUndefined()
    expect(parseIp('gggg::1')).toBeUndefined()
  })
})
