import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { ParsedIp } from '../util/ip.js'
import { findRange } from '../util/ranges.js'

const require = createRequire(import.meta.url)

export interface IpSignals {
  version: number
  asn: number
  /** the network belongs to a hosting, cloud or VPN provider rather than a consumer ISP or carrier */
  hosting: boolean
  /** loopback, RFC 1918, CGNAT, link-local or ULA: the storefront passed an internal address */
  private: boolean
}

/**
 * IP-to-ASN lookup over the ranges shipped by `@ip-location-db/asn` (RouteViews/DB-IP data, CC BY 4.0).
 * Loaded once into sorted typed arrays and searched by bisection: about 0.5 M ranges, ~10 MB resident.
 */
export class AsnDb {
  private v4start: Uint32Array
  private v4end: Uint32Array
  private v4asn: Uint32Array
  private v6start: BigUint64Array
  private v6end: BigUint64Array
  private v6asn: Uint32Array

  constructor(v4csv: string, v6csv: string) {
    ;[this.v4start, this.v4end, this.v4asn] = parseV4(v4csv)
    ;[this.v6start, this.v6end, this.v6asn] = parseV6(v6csv)
  }

  static fromPackage(): AsnDb {
    const dir = require.resolve('@ip-location-db/asn/package.json').replace(/package\.json$/, '')
    return new AsnDb(readFileSync(dir + 'asn-ipv4-num.csv', 'latin1'), readFileSync(dir + 'asn-ipv6-num.csv', 'latin1'))
  }

  get size(): number {
    return this.v4start.length + this.v6start.length
  }

  /** IPv4 ranges [start, end] announced by one ASN (used by the traffic simulator). */
  v4RangesOf(asn: number): [number, number][] {
    const out: [number, number][] = []
    for (let i = 0; i < this.v4asn.length; i++) if (this.v4asn[i] === asn) out.push([this.v4start[i]!, this.v4end[i]!])
    return out
  }

  /** IPv6 ranges of one ASN, as top-64-bit [start, end]. */
  v6RangesOf(asn: number): [bigint, bigint][] {
    const out: [bigint, bigint][] = []
    for (let i = 0; i < this.v6asn.length; i++) if (this.v6asn[i] === asn) out.push([this.v6start[i]!, this.v6end[i]!])
    return out
  }

  lookup(ip: ParsedIp): number {
    if (ip.version === 4) return search(this.v4start, this.v4end, this.v4asn, ip.high as number)
    return search(this.v6start, this.v6end, this.v6asn, ip.high as bigint)
  }
}

function search<T extends number | bigint>(starts: ArrayLike<T>, ends: ArrayLike<T>, asns: Uint32Array, x: T): number {
  const i = findRange(starts, ends, x)
  return i < 0 ? 0 : asns[i]!
}

function parseV4(csv: string): [Uint32Array, Uint32Array, Uint32Array] {
  const lines = csv.split('\n')
  const s = new Uint32Array(lines.length)
  const e = new Uint32Array(lines.length)
  const a = new Uint32Array(lines.length)
  let n = 0
  for (const line of lines) {
    const c1 = line.indexOf(',')
    const c2 = line.indexOf(',', c1 + 1)
    const c3 = line.indexOf(',', c2 + 1)
    if (c3 < 0) continue
    s[n] = Number(line.slice(0, c1))
    e[n] = Number(line.slice(c1 + 1, c2))
    a[n] = Number(line.slice(c2 + 1, c3))
    n++
  }
  return [s.slice(0, n), e.slice(0, n), a.slice(0, n)]
}

function parseV6(csv: string): [BigUint64Array, BigUint64Array, Uint32Array] {
  const lines = csv.split('\n')
  const s = new BigUint64Array(lines.length)
  const e = new BigUint64Array(lines.length)
  const a = new Uint32Array(lines.length)
  let n = 0
  for (const line of lines) {
    const c1 = line.indexOf(',')
    const c2 = line.indexOf(',', c1 + 1)
    const c3 = line.indexOf(',', c2 + 1)
    if (c3 < 0) continue
    // Allocations are /64 or coarser in practice, so the top 64 bits decide membership.
    s[n] = BigInt(line.slice(0, c1)) >> 64n
    e[n] = BigInt(line.slice(c1 + 1, c2)) >> 64n
    a[n] = Number(line.slice(c2 + 1, c3))
    n++
  }
  return [s.slice(0, n), e.slice(0, n), a.slice(0, n)]
}

export function isPrivate(ip: ParsedIp): boolean {
  if (ip.version === 4) {
    const n = ip.high as number
    const a = n >>> 24
    const b = (n >>> 16) & 255
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254)
  }
  const top16 = Number((ip.high as bigint) >> 48n)
  return (ip.high as bigint) === 0n || (top16 & 0xfe00) === 0xfc00 || (top16 & 0xffc0) === 0xfe80
}
