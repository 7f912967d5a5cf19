import { z } from 'zod'

/** The distribution a model was checked on, for drift: bin edges and each bin's share, for the score and a few features. */
export const Reference = z.object({
  /** what the shares were measured on */
  measured_on: z.string(),
  score: z.object({ edges: z.array(z.number()), shares: z.array(z.number()) }),
  features: z.record(z.string(), z.object({ edges: z.array(z.number()), shares: z.array(z.number()) })),
})
export type Reference = z.infer<typeof Reference>

/** Bin index: values below edges[0] go to bin 0, values ≥ edges[k-1] to bin k (edges.length + 1 bins). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0
  let hi = edges.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (v < edges[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Population stability index of observed counts against reference shares (0.1: watch; 0.25: the population moved). */
export function psi(counts: ArrayLike<number>, shares: ArrayLike<number>): number {
  let n = 0
  for (let i = 0; i < counts.length; i++) n += counts[i]!
  if (n === 0) return 0
  let s = 0
  for (let i = 0; i < counts.length; i++) {
    const a = Math.max(counts[i]! / n, 1e-4)
    const e = Math.max(shares[i]!, 1e-4)
    s += (a - e) * Math.log(a / e)
  }
  return s
}

export interface DriftReading {
  /** events in the last complete window (0 until one completes) */
  window: number
  score_psi: number
  features: Record<string, number>
}

/**
 * Live score and feature distribution against the card's reference, as PSI over tumbling windows of `window`
 * events: cheap on the hot path (a binary search over ≤ 10 edges per watched value) and read at scrape time.
 */
export class DriftMonitor {
  private readonly scoreCounts: Float64Array
  private readonly feat: { name: string; slot: number; edges: number[]; shares: number[]; counts: Float64Array }[]
  private n = 0
  private last: DriftReading = { window: 0, score_psi: 0, features: {} }

  constructor(private readonly ref: Reference, cardFeatures: readonly string[], private readonly window = 5000) {
    this.scoreCounts = new Float64Array(ref.score.shares.length)
    this.feat = Object.entries(ref.features).flatMap(([name, r]) => {
      const slot = cardFeatures.indexOf(name)
      return slot < 0 ? [] : [{ name, slot, edges: r.edges, shares: r.shares, counts: new Float64Array(r.shares.length) }]
    })
  }

  observe(p: number, vector: ArrayLike<number>): void {
    this.scoreCounts[binOf(this.ref.score.edges, p)]!++
    for (const f of this.feat) f.counts[binOf(f.edges, vector[f.slot]!)]!++
    if (++this.n >= this.window) this.roll()
  }

  private roll(): void {
    const features: Record<string, number> = {}
    for (const f of this.feat) {
      features[f.name] = psi(f.counts, f.shares)
      f.counts.fill(0)
    }
    this.last = { window: this.n, score_psi: psi(this.scoreCounts, this.ref.score.shares), features }
    this.scoreCounts.fill(0)
    this.n = 0
  }

  reading(): DriftReading {
    return this.last
  }
}

/** Quantile edges (deduplicated) and the share of values in each of the resulting bins. */
export function referenceBins(values: ArrayLike<number>, bins = 10): { edges: number[]; shares: number[] } {
  const sorted = Float64Array.from(values).sort()
  const edges: number[] = []
  for (let k = 1; k < bins; k++) {
    const v = Math.round(sorted[Math.min(sorted.length - 1, Math.floor((k / bins) * sorted.length))]! * 1e6) / 1e6
    // an edge at the minimum would leave bin 0 empty; repeated edges collapse
    if (v > sorted[0]! && (edges.length === 0 || v > edges[edges.length - 1]!)) edges.push(v)
  }
  const counts = new Array<number>(edges.length + 1).fill(0)
  for (let i = 0; i < sorted.length; i++) counts[binOf(edges, sorted[i]!)]!++
  return { edges, shares: counts.map((c) => Math.round((c / Math.max(sorted.length, 1)) * 1e5) / 1e5) }
}
