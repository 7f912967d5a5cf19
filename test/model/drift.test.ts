import { describe, expect, it } from 'vitest'
import { binOf, DriftMonitor, psi, referenceBins } from '../../src/model/drift.js'

describe('drift', () => {
  it('bins by edges: below the first edge is bin 0, at or past the last the final bin', () => {
    expect([binOf([1, 2], 0), binOf([1, 2], 1), binOf([1, 2], 1.5), binOf([1, 2], 2), binOf([1, 2], 9)]).toEqual([0, 1, 1, 2, 2])
  })

  it('gives reference bins whose shares sum to one, without an empty first bin on zero-heavy features', () => {
    const values = [...new Array(700).fill(0), ...Array.from({ length: 300 }, (_, i) => 1 + (i % 30))]
    const r = referenceBins(values)
    expect(r.shares.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4)
    expect(r.shares[0]).toBeCloseTo(0.7, 2)
    expect(r.edges[0]).toBeGreaterThan(0)
  })

  it('reads ~0 for the reference population and past 0.25 when it moved, once a window completes', () => {
    const ref = { measured_on: 'test', score: referenceBins(Array.from({ length: 1000 }, (_, i) => i / 1000)), features: { a: referenceBins(Array.from({ length: 1000 }, (_, i) => i % 10)) } }
    const same = new DriftMonitor(ref, ['a'], 1000)
    for (let i = 0; i < 999; i++) same.observe(((i * 37) % 1000) / 1000, [(i * 7) % 10])
    expect(same.reading().window).toBe(0)
    same.observe(0.5, [5])
    expect(same.reading().window).toBe(1000)
    expect(same.reading().score_psi).toBeLessThan(0.02)
    expect(same.reading().features.a).toBeLessThan(0.02)
    const moved = new DriftMonitor(ref, ['a'], 1000)
    // scores pile up high and the feature sticks at one value: a bot wave, or a broken client
    for (let i = 0; i < 1000; i++) moved.observe(0.9 + (i % 100) / 1000, [3])
    expect(moved.reading().score_psi).toBeGreaterThan(0.25)
    expect(moved.reading().features.a).toBeGreaterThan(0.25)
    expect(psi([10, 10], [0.5, 0.5])).toBeCloseTo(0, 10)
  })
})
