import { describe, expect, it } from 'vitest'
import { calibrate, isotonic, priorShift } from '../../src/model/calibration.js'
import { fitCalibration, fitIsotonic, reliability } from '../../src/offline/train/calibrate.js'

/** a deterministic stream of uniforms */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

describe('calibration', () => {
  it('shifts a probability between priors by the odds ratio, and not at all between equal ones', () => {
    expect(priorShift(0.3, 0.2, 0.2)).toBeCloseTo(0.3, 10)
    // 50% at a 50% prior is the prior itself at any other
    expect(priorShift(0.5, 0.5, 0.01)).toBeCloseTo(0.01, 10)
    const p = priorShift(0.9, 0.29, 0.01)
    expect(p / (1 - p)).toBeCloseTo((0.9 / 0.1) * ((0.01 / 0.99) / (0.29 / 0.71)), 6)
  })

  it('fits a non-decreasing map that recovers a known miscalibration', () => {
    const r = rng(3)
    const raw: number[] = []
    const y: number[] = []
    // the truth: a raw output p means fraud with probability p², a model that overstates risk
    for (let i = 0; i < 40_000; i++) {
      const p = r()
      raw.push(p)
      y.push(r() < p * p ? 1 : 0)
    }
    const m = fitIsotonic(raw, y)
    expect(m.x.length).toBeLessThanOrEqual(256)
    for (let i = 1; i < m.y.length; i++) expect(m.y[i]).toBeGreaterThanOrEqual(m.y[i - 1]!)
    for (const p of [0.2, 0.5, 0.8]) expect(Math.abs(isotonic(m.x, m.y, p) - p * p)).toBeLessThan(0.04)
    // outside the knots it stays flat
    expect(isotonic(m.x, m.y, -1)).toBe(m.y[0])
    expect(isotonic(m.x, m.y, 2)).toBe(m.y[m.y.length - 1])
  })

  it('makes a model trained at 30% fraud reliable at 1%: lower calibration error on traffic it was not fitted on', () => {
    const draw = (seed: number) => {
      const r = rng(seed)
      const raw: number[] = []
      const y: number[] = []
      // 30% fraud; the raw score is a well-ranked but overconfident logit
      for (let i = 0; i < 30_000; i++) {
        const fraud = r() < 0.3 ? 1 : 0
        const z = (fraud ? 2 : -2) + (r() + r() + r() - 1.5) * 3
        raw.push(1 / (1 + Math.exp(-1.8 * z)))
        y.push(fraud)
      }
      return { raw, y }
    }
    const fit = draw(1)
    const c = fitCalibration(fit.raw, fit.y, 0.01, 'test')
    expect(c.fitted_rate).toBeCloseTo(0.3, 1)
    const check = draw(2)
    const before = reliability(check.raw, check.y, 0.01)
    const after = reliability(check.raw.map((p) => calibrate(c, p)), check.y, 0.01)
    expect(after.ece).toBeLessThan(before.ece / 3)
    expect(after.brier).toBeLessThan(before.brier)
    // weighted to the base rate, the observed fraud share overall is the base rate
    const w = after.bins.reduce((s, b) => s + b.weight, 0)
    expect(after.bins.reduce((s, b) => s + b.weight * b.observed, 0) / w).toBeCloseTo(0.01, 3)
  })
})
