import { calibrate, type Calibration } from '../../model/calibration.js'

/**
 * Isotonic regression by pool-adjacent-violators: the non-decreasing step function of p that best fits the
 * labels in squared error. Returns knots at each block's mean p (ties pooled first), at most `maxKnots` of them
 * (adjacent blocks merged by weight) so the card stays readable.
 */
export function fitIsotonic(p: ArrayLike<number>, y: ArrayLike<number>, maxKnots = 256): { x: number[]; y: number[] } {
  const idx = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]!)
  const blocks: { sx: number; sy: number; w: number }[] = []
  for (const i of idx) {
    const last = blocks[blocks.length - 1]
    // equal raw values share one block: a step function cannot split them
    if (last && last.sx / last.w === p[i]!) {
      last.sx += p[i]!
      last.sy += y[i]!
      last.w++
    } else blocks.push({ sx: p[i]!, sy: y[i]!, w: 1 })
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!
      const a = blocks[blocks.length - 2]!
      if (a.sy / a.w <= b.sy / b.w) break
      a.sx += b.sx
      a.sy += b.sy
      a.w += b.w
      blocks.pop()
    }
  }
  let merged = blocks
  while (merged.length > maxKnots) {
    const next: typeof blocks = []
    for (let i = 0; i < merged.length; i += 2) {
      const a = merged[i]!
      const b = merged[i + 1]
      next.push(b ? { sx: a.sx + b.sx, sy: a.sy + b.sy, w: a.w + b.w } : a)
    }
    merged = next
  }
  const r6 = (v: number) => Math.round(v * 1e6) / 1e6
  return { x: merged.map((b) => r6(b.sx / b.w)), y: merged.map((b) => r6(b.sy / b.w)) }
}

export interface ReliabilityBin {
  /** predicted probability range [lo, hi) */
  lo: number
  hi: number
  /** events in the bin, weighted to the base rate */
  weight: number
  predicted: number
  observed: number
}

export interface Reliability {
  base_rate: number
  bins: ReliabilityBin[]
  /** expected calibration error: |predicted − observed| averaged over bins by weight */
  ece: number
  brier: number
}

/** Bins spaced for rates of 0.1–2%: most of a storefront's traffic sits below 1%. */
export const RELIABILITY_EDGES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.6, 1.000001]

/**
 * Reliability at a storefront's fraud rate on simulated traffic: each fraud event weighted so the fraud share
 * is `baseRate` (the simulator's is ~29%), legit events weight 1.
 */
export function reliability(pred: ArrayLike<number>, y: ArrayLike<number>, baseRate: number): Reliability {
  let nF = 0
  for (let i = 0; i < y.length; i++) nF += y[i]!
  const nL = y.length - nF
  const wF = (baseRate / (1 - baseRate)) * (nL / Math.max(nF, 1))
  const bins = RELIABILITY_EDGES.slice(0, -1).map((lo, k) => ({ lo, hi: RELIABILITY_EDGES[k + 1]!, weight: 0, sp: 0, sy: 0 }))
  let brier = 0
  let wSum = 0
  for (let i = 0; i < pred.length; i++) {
    const w = y[i] ? wF : 1
    const p = pred[i]!
    const b = bins.find((b) => p >= b.lo && p < b.hi)!
    b.weight += w
    b.sp += w * p
    b.sy += w * y[i]!
    brier += w * (p - y[i]!) ** 2
    wSum += w
  }
  let ece = 0
  const out = bins.filter((b) => b.weight > 0).map((b) => ({ lo: b.lo, hi: Math.min(1, b.hi), weight: Math.round(b.weight * 10) / 10, predicted: b.sp / b.weight, observed: b.sy / b.weight }))
  for (const b of out) ece += (b.weight / wSum) * Math.abs(b.predicted - b.observed)
  const r5 = (v: number) => Math.round(v * 1e5) / 1e5
  return { base_rate: baseRate, bins: out.map((b) => ({ ...b, predicted: r5(b.predicted), observed: r5(b.observed) })), ece: r5(ece), brier: r5(brier / wSum) }
}

/** The calibration for a card: isotonic on one held-out set's raw probabilities, shifted to `baseRate`. */
export function fitCalibration(p: ArrayLike<number>, y: ArrayLike<number>, baseRate: number, fittedOn: string): Calibration {
  let nF = 0
  for (let i = 0; i < y.length; i++) nF += y[i]!
  const { x, y: cy } = fitIsotonic(p, y)
  return { method: 'isotonic', fitted_rate: Math.round((nF / y.length) * 1e6) / 1e6, base_rate: baseRate, x, y: cy, fitted_on: fittedOn }
}

export function formatReliability(before: Reliability, after: Reliability): string {
  const pc = (v: number) => `${(v * 100).toFixed(v < 0.01 ? 3 : 2)}%`
  const rows = [`| predicted | before: events | before: predicted / observed | after: events | after: predicted / observed |`, `|---|---:|---:|---:|---:|`]
  const edges = RELIABILITY_EDGES.slice(0, -1)
  for (const lo of edges) {
    const b = before.bins.find((x) => x.lo === lo)
    const a = after.bins.find((x) => x.lo === lo)
    if (!a && !b) continue
    const hi = Math.min(1, RELIABILITY_EDGES[RELIABILITY_EDGES.indexOf(lo) + 1]!)
    rows.push(`| ${pc(lo)}–${pc(hi)} | ${b ? b.weight.toFixed(0) : '—'} | ${b ? `${pc(b.predicted)} / ${pc(b.observed)}` : '—'} | ${a ? a.weight.toFixed(0) : '—'} | ${a ? `${pc(a.predicted)} / ${pc(a.observed)}` : '—'} |`)
  }
  rows.push(`| **ECE / Brier** | | ${before.ece.toFixed(5)} / ${before.brier.toFixed(5)} | | ${after.ece.toFixed(5)} / ${after.brier.toFixed(5)} |`)
  return rows.join('\n')
}

export { calibrate }
