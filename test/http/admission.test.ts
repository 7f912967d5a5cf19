import { describe, expect, it } from 'vitest'
import { AdmissionLimit } from '../../src/http/admission.js'

describe('AdmissionLimit', () => {
  it('starts at MAX_IN_FLIGHT and stays there while the loop is under its target', () => {
    const a = new AdmissionLimit(256, 64, 0.97)
    for (let i = 0; i < 20; i++) a.update(0.5)
    expect(a.limit).toBe(256)
  })

  it('shrinks by a quarter per busy window down to the floor, never below', () => {
    const a = new AdmissionLimit(256, 64, 0.97)
    expect(a.update(0.99)).toBe(192)
    expect(a.update(0.99)).toBe(144)
    for (let i = 0; i < 20; i++) a.update(1)
    expect(a.limit).toBe(64)
  })

  it('holds inside the dead band just below the target, and grows back by a tenth (at least one) below it', () => {
    const a = new AdmissionLimit(256, 64, 0.97)
    for (let i = 0; i < 20; i++) a.update(1)
    expect(a.update(0.95)).toBe(64)
    expect(a.update(0.9)).toBe(64 + 7)
    const small = new AdmissionLimit(4, 2, 0.97)
    small.update(1)
    expect(small.limit).toBe(3)
    expect(small.update(0.1)).toBe(4)
    for (let i = 0; i < 100; i++) a.update(0.1)
    expect(a.limit).toBe(256)
  })
})
