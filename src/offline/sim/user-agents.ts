import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * The user agents the simulator gives its people: the user-agents package (real, weighted browser traffic)
 * and the curated real-client file the signal tests also read (test/fixtures/user-agents/cn-clients.json),
 * keyed by the SDK platform a real client of that kind reports. Nothing here is written by us, so rules tuned
 * on simulated traffic meet the same variety of phones, tablets and in-app browsers that real shoppers bring.
 */
export type SdkPlatform = 'web' | 'ios' | 'android' | 'mini_program'
/** User agents with cumulative weights, so a pick is a binary search instead of a walk over 10,000 entries. */
export class WeightedUas {
  readonly uas: string[] = []
  private readonly cum: number[] = []
  add(ua: string, w: number): void {
    this.uas.push(ua)
    this.cum.push((this.cum.at(-1) ?? 0) + w)
  }
  /** `u` uniform in [0, 1) */
  pick(u: number): string {
    const x = u * this.cum.at(-1)!
    let lo = 0
    let hi = this.cum.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.cum[mid]! > x) hi = mid
      else lo = mid + 1
    }
    return this.uas[lo]!
  }
}
export interface UaPool {
  byPlatform: Record<SdkPlatform, WeightedUas>
}

export interface Packaged { userAgent: string; platform: string; deviceCategory: string; weight: number }
interface Curated { ua: string; platforms: SdkPlatform[] }

const CURATED = new URL('../../../test/fixtures/user-agents/cn-clients.json', import.meta.url)

function packagedPlatforms(p: Packaged): SdkPlatform[] {
  if (p.platform === 'iPhone' || p.platform === 'iPad') return /iPhone|iPad|iPod/.test(p.userAgent) ? ['web', 'ios'] : ['web']
  // iPads in desktop mode send exactly a Mac Safari user agent
  if (p.platform === 'MacIntel') return /Version\/[\d.]+ Safari/.test(p.userAgent) && !/Chrome|Firefox|Edg/.test(p.userAgent) ? ['web', 'ios'] : ['web']
  if (p.platform.startsWith('Linux arm') || p.platform === 'Linux aarch64') return /Android/.test(p.userAgent) ? ['web', 'android'] : ['web']
  return ['web']
}

/** The user-agents package's entries: real, weighted browser traffic with navigator.platform and device category. */
export function packagedUserAgents(): Packaged[] {
  const require = createRequire(import.meta.url)
  return JSON.parse(readFileSync(join(dirname(require.resolve('user-agents')), 'user-agents.json'), 'utf8')) as Packaged[]
}

let cached: UaPool | undefined

/** Loaded once per process; the order is the files' order, so a seed gives the same traffic. */
export function uaPool(): UaPool {
  if (cached) return cached
  const packaged = packagedUserAgents()
  const curated = (JSON.parse(readFileSync(CURATED, 'utf8')) as { clients: Curated[] }).clients
  const byPlatform: UaPool['byPlatform'] = { web: new WeightedUas(), ios: new WeightedUas(), android: new WeightedUas(), mini_program: new WeightedUas() }
  const mean = packaged.reduce((s, p) => s + p.weight, 0) / packaged.length
  for (const p of packaged) for (const pl of packagedPlatforms(p)) byPlatform[pl].add(p.userAgent, p.weight)
  // A Chinese storefront's traffic is mostly in-app browsers: each curated client weighs as much as 40 average package entries
  for (const c of curated) for (const pl of c.platforms) byPlatform[pl].add(c.ua, mean * 40)
  cached = { byPlatform }
  return cached
}
