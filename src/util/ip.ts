/** Minimal, allocation-light IP helpers. Inputs are already validated by the event schema. */

export interface ParsedIp {
  version: 4 | 6
  /** canonical text: dotted quad, or 8 lower-case hex groups joined by ':' without compression */
  canonical: string
  /** /24 for IPv4, /64 for IPv6: one subscriber line or one hosting allocation */
  prefix: string
  /** IPv4 as uint32; for IPv6 the top 64 bits */
  high: bigint | number
}

function parseV4(s: string): number | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined
    const v = Number(p)
    if (v > 255) return undefined
    n = n * 256 + v
  }
  return n
}

function expandV6(s: string): number[] | undefined {
  let str = s.toLowerCase()
  const zone = str.indexOf('%')
  if (zone >= 0) str = str.slice(0, zone)
  if (str.includes('.')) {
    // An embedded IPv4 tail ("::ffff:1.2.3.4") is two hex groups written in decimal.
    const cut = str.lastIndexOf(':')
    const v4 = parseV4(str.slice(cut + 1))
    if (v4 === undefined) return undefined
    str = `${str.slice(0, cut + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const halves = str.split('::')
  if (halves.length > 2) return undefined
  const toGroups = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)))
  const head = toGroups(halves[0] ?? '')
  const rest = halves.length === 2 ? toGroups(halves[1] ?? '') : []
  const fill = 8 - head.length - rest.length
  if (halves.length === 2 && fill < 1) return undefined
  const groups = halves.length === 2 ? [...head, ...new Array<number>(fill).fill(0), ...rest] : head
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return undefined
  return groups
}

export function parseIp(s: string): ParsedIp | undefined {
  if (!s.includes(':')) {
    const n = parseV4(s)
    if (n === undefined) return undefined
    return { version: 4, canonical: s.split('.').map(Number).join('.'), prefix: `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.0/24`, high: n }
  }
  const g = expandV6(s)
  if (!g) return undefined
  // IPv4-mapped addresses are IPv4 users behind a dual-stack socket.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return parseIp(`${(g[6]! >> 8) & 255}.${g[6]! & 255}.${(g[7]! >> 8) & 255}.${g[7]! & 255}`)
  }
  const hex = g.map((x) => x.toString(16))
  let high = 0n
  for (let i = 0; i < 4; i++) high = (high << 16n) | BigInt(g[i]!)
  return { version: 6, canonical: hex.join(':'), prefix: `${hex.slice(0, 4).join(':')}::/64`, high }
}
