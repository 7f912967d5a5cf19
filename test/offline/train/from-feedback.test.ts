import { describe, expect, it } from 'vitest'
import { autoSimShare, ENOUGH_FRAUD, takeEvenly, type FeedbackRows } from '../../../src/offline/train/from-feedback.js'

const fb = (fraud: number) => ({ rows: [], stats: { labelled_fraud: fraud } }) as unknown as FeedbackRows

describe('training from feedback', () => {
  it('tops up with simulation while labelled fraud is scarce, and stops at enough', () => {
    expect(autoSimShare(fb(0))).toBe(0.8)
    expect(autoSimShare(fb(ENOUGH_FRAUD / 2))).toBe(0.4)
    expect(autoSimShare(fb(ENOUGH_FRAUD))).toBe(0)
    expect(autoSimShare(fb(ENOUGH_FRAUD * 5))).toBe(0)
  })

  it('takes simulated rows evenly across the traffic, not its first hours', () => {
    const rows = Array.from({ length: 100 }, (_, i) => i)
    expect(takeEvenly(rows, 4)).toEqual([0, 25, 50, 75])
    expect(takeEvenly(rows, 0)).toEqual([])
    expect(takeEvenly(rows, 500)).toHaveLength(100)
  })
})
