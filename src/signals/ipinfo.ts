import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { CidrSet, type ParsedIp } from '../util/ip.js'
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

/** `start,end,asn,…` rows, written straight into typed arrays (half a million rows at boot): bounds through `bound`. */
function parseRows<A extends Uint32Array | BigUint64Array>(csv: string, make: (n: number) => A, bound: (text: string) => A[number]): [A, A, Uint32Array] {
  const lines = csv.split('\n')
  const starts = make(lines.length) as A & { [i: number]: A[number] }
  const ends = make(lines.length) as A & { [i: number]: A[number] }
  const asns = new Uint32Array(lines.length)
  let n = 0
  for (const line of lines) {
    const c1 = line.indexOf(',')
    const c2 = line.indexOf(',', c1 + 1)
    const c3 = line.indexOf(',', c2 + 1)
    if (c3 < 0) continue
    starts[n] = bound(line.slice(0, c1))
    ends[n] = bound(line.slice(c1 + 1, c2))
    asns[n] = Number(line.slice(c2 + 1, c3))
    n++
  }
  return [starts.slice(0, n) as A, ends.slice(0, n) as A, asns.slice(0, n)]
}

const parseV4 = (csv: string) => parseRows(csv, (n) => new Uint32Array(n), Number)
// Allocations are /64 or coarser in practice, so the top 64 bits decide membership.
const parseV6 = (csv: string) => parseRows(csv, (n) => new BigUint64Array(n), (t) => BigInt(t) >> 64n)

/** Loopback, RFC 1918, CGNAT (RFC 6598), this-network, link-local, the unspecified /64 and ULA ranges. */
const PRIVATE = CidrSet.of(['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '::/64', 'fc00::/7', 'fe80::/10'])

export function isPrivate(ip: ParsedIp): boolean {
  return PRIVATE.hasParsed(ip)
}
