import { describe, expect, it } from 'vitest'
import { CidrSet, parseIp } from '../../src/util/ip.js'
import { readCorpus } from '../../loadtest/corpus.js'

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

describe('CidrSet.has', () => {
  // every address of the load corpus and the spellings that take other paths, each asked twice in a row
  // (has() keeps the last IPv6 address's hex form) and interleaved with other addresses
  const corpus = readCorpus('mixed').slice(0, 5000).map((l) => (JSON.parse(l) as { ip: string }).ip)
  const spellings = ['::ffff:10.9.9.9', '::FFFF:a09:909', '::ffff:36.112.24.10', '240e:3b0:1234:5678::1', '240E:03B0:1234:5678:0:0:0:ffff', 'fe80::1%eth0', '2001:db8::1', '::1', '::', '1.2.3', 'not an ip', '', '1:2:3:4:5:6:7:8:9']
  const sets = {
    'IPv4 only': CidrSet.of(['10.0.0.0/8', '36.112.0.0/16', '120.238.199.217', '39.170.3.0/24']),
    'IPv4 and IPv6': CidrSet.of(['10.0.0.0/8', '36.112.0.0/16', '240e::/20', '2001:db8::/32', 'fe80::/10', '::1']),
  }
  it.each(Object.entries(sets))('answers as the general parser does, on a set with %s', (_what, set) => {
    let members = 0
    for (const ip of [...spellings, ...corpus, ...spellings.slice().reverse()]) {
      const parsed = parseIp(ip)
      const want = parsed !== undefined && set.hasParsed(parsed)
      expect(set.has(ip), ip).toBe(want)
      expect(set.has(ip), `${ip} again`).toBe(want)
      if (want) members++
    }
    // the sets hold some of these addresses, so both answers are exercised
    expect(members).toBeGreaterThan(0)
  })
})
