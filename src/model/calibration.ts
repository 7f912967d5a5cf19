import { z } from 'zod'

/**
 * A model's raw probability is a rank on its training traffic, where fraud is common (29% in the simulator's);
 * a storefront sees 0.1–2%. The card's calibration turns it into a probability at the storefront's rate: an
 * isotonic map fitted on held-out traffic, then the prior shift from the fitted traffic's fraud rate to
 * `base_rate` (Saerens et al. 2002: multiply the odds by the ratio of the priors' odds).
 */
export const Calibration = z
  .object({
    method: z.literal('isotonic'),
    /** fraud share of the held-out traffic the map was fitted on */
    fitted_rate: z.number().gt(0).lt(1),
    /** the fraud rate the served probability assumes */
    base_rate: z.number().gt(0).lt(1),
    /** knots: raw probability (ascending) → calibrated probability at fitted_rate (non-decreasing) */
    x: z.array(z.number().min(0).max(1)).min(1),
    y: z.array(z.number().min(0).max(1)).min(1),
    fitted_on: z.string(),
  })
  .refine((c) => c.x.length === c.y.length, 'x and y need one entry each per knot')
  .refine((c) => c.x.every((v, i) => i === 0 || v >= c.x[i - 1]!) && c.y.every((v, i) => i === 0 || v >= c.y[i - 1]!), 'knots must be non-decreasing')
export type Calibration = z.infer<typeof Calibration>

const EPS = 1e-6

/** p at one prior, moved to another: odds × (to-odds / from-odds). */
export function priorShift(p: number, from: number, to: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p))
  const odds = (q / (1 - q)) * ((to / (1 - to)) / (from / (1 - from)))
  return odds / (1 + odds)
}

/** The isotonic map, linear between knots and flat beyond them (as scikit-learn's IsotonicRegression predicts). */
export function isotonic(x: readonly number[], y: readonly number[], p: number): number {
  if (p <= x[0]!) return y[0]!
  const last = x.length - 1
  if (p >= x[last]!) return y[last]!
  let lo = 0
  let hi = last
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (x[mid]! <= p) lo = mid
    else hi = mid
  }
  const span = x[hi]! - x[lo]!
  return span > 0 ? y[lo]! + ((p - x[lo]!) / span) * (y[hi]! - y[lo]!) : y[hi]!
}

export function calibrate(c: Calibration, p: number): number {
  return priorShift(isotonic(c.x, c.y, p), c.fitted_rate, c.base_rate)
}
