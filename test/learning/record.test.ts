import { describe, expect, it } from 'vitest'
import { decodeVector, projector, VectorSchema } from '../../src/learning/record.js'
import { SHIPPED_CATALOG } from '../helpers.js'

describe('VectorSchema', () => {
  it('keeps every number and boolean the catalog computes, but no string and not the model output', () => {
    const s = VectorSchema.forCatalog(SHIPPED_CATALOG)
    const strings = SHIPPED_CATALOG.features.filter((f) => f.type === 'string').map((f) => f.name)
    expect(strings).toContain('ip.address')
    for (const n of strings) expect(s.names).not.toContain(n)
    expect(s.names).not.toContain('model.score')
    expect(s.names).toContain('ip.accounts_24h')
    expect(s.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect(VectorSchema.of([...s.names].reverse()).fingerprint).not.toBe(s.fingerprint)
  })

  it('encodes booleans as 0/1 and absent values as 0, and decodes to the same float32 values', () => {
    const s = VectorSchema.of(['a', 'b', 'c', 'd'])
    const v = decodeVector(s.encode({ a: 3.25, b: true, d: 1e7 + 1 }))
    expect(Array.from(v)).toEqual([3.25, 1, 0, Math.fround(1e7 + 1)])
  })

  it('projects stored vectors onto a model’s features, and names a feature that was not recorded', () => {
    const p = projector(['a', 'b', 'c'], ['c', 'a'])
    expect(Array.from(p(Float32Array.from([1, 2, 3])))).toEqual([3, 1])
    expect(() => projector(['a'], ['a', 'zz'])).toThrow(/`zz`/)
  })
})
