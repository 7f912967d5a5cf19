import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Model, ModelLoadError } from '../../src/model/model.js'
import { SHIPPED_CATALOG } from '../helpers.js'
import { converterOnnx, expected, randomTrees, writeModelDir, type SrcNode } from './converter-onnx.js'

const FEATURES = ['ip.accounts_24h', 'device.accounts_24h', 'account.login_failures_1h', 'ip.login_failures_1h', 'behavior.fill_ms', 'email.digit_ratio']
const F = FEATURES.length
const dir = () => mkdtempSync(join(tmpdir(), 'bouncer-conv-'))

/** rows around the trees' cut points, so every branch is taken somewhere */
function rows(n: number): Float32Array {
  const vals = [0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 8, 20, 21, 50, 60, 500, 900]
  const out = new Float32Array(n * F)
  for (let i = 0; i < out.length; i++) out[i] = vals[(i * 7 + Math.floor(i / F) * 3) % vals.length]!
  return out
}

/** the features a row's decision path splits on */
function pathFeatures(trees: SrcNode[][], x: ArrayLike<number>, lt: boolean): Set<number> {
  const out = new Set<number>()
  for (const t of trees) {
    let id = 0
    while (t[id]!.leaf === undefined) {
      const n = t[id]!
      out.add(n.feature)
      const v = Math.fround(x[n.feature]!)
      id = (lt ? v < n.threshold : v <= n.threshold) ? n.left : n.right
    }
  }
  return out
}

describe('models from the standard converters', () => {
  for (const layout of ['lightgbm', 'xgboost'] as const) {
    it(`${layout} layout (TreeEnsembleClassifier, [N, 2] probabilities, no usable covers): loads, scores as the spec says, explains on the path`, async () => {
      const lt = layout === 'xgboost'
      const trees = randomTrees(layout === 'xgboost' ? 11 : 7, 40, 4, F)
      const base = layout === 'xgboost' ? -0.4 : 0
      const m = await Model.load(writeModelDir(dir(), converterOnnx(layout, trees, F, base), FEATURES), SHIPPED_CATALOG)
      try {
        expect(m.explanations.kind).toBe('path-uniform')
        expect(m.explanations.note).toMatch(/covers/)
        const n = 200
        const x = rows(n)
        const p = await m.predictBatch(x, n)
        expect(p).toHaveLength(n)
        let spread = 0
        for (let i = 0; i < n; i++) {
          const row = x.subarray(i * F, (i + 1) * F)
          const want = expected(trees, base, row, lt)
          expect(Math.abs(p[i]! - want), `row ${i}`).toBeLessThan(1e-5)
          spread = Math.max(spread, Math.abs(want - 0.5))
          // one event through the service's own path (micro-batched predict) gives the same number
          if (i < 5) expect(Math.abs((await m.predict(Float32Array.from(row))) - want)).toBeLessThan(1e-5)
          const on = pathFeatures(trees, row, lt)
          for (const a of m.explain(Float32Array.from(row), 10)) expect(on.has(FEATURES.indexOf(a.feature)), `${a.feature} is not on row ${i}'s path`).toBe(true)
        }
        // the fixture is not degenerate: scores move away from 0.5
        expect(spread).toBeGreaterThan(0.2)
      } finally {
        await m.close()
      }
    })
  }

  it('refuses a ZipMap output with the converter option that removes it', async () => {
    const d = writeModelDir(dir(), converterOnnx('skl2onnx-zipmap', randomTrees(3, 5, 3, F), F), FEATURES, 'output_probability')
    const err = await Model.load(d, SHIPPED_CATALOG).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ModelLoadError)
    expect((err as Error).message).toMatch(/card\.json:\d+ .*ZipMap.*zipmap=False/)
  })

  it('refuses a model whose input width is not the card’s feature count, naming it', async () => {
    const d = writeModelDir(dir(), converterOnnx('lightgbm', randomTrees(5, 5, 3, F), F + 2), FEATURES)
    await expect(Model.load(d, SHIPPED_CATALOG)).rejects.toThrow(/does not run on 6 float features/)
  })

  it('takes the fraud column from output_column, and refuses one past the output', async () => {
    const trees = randomTrees(9, 10, 3, F)
    const bytes = converterOnnx('lightgbm', trees, F)
    const col0 = await Model.load(writeModelDir(dir(), bytes, FEATURES, 'probabilities', { output_column: 0 }), SHIPPED_CATALOG)
    const x = rows(20)
    const p0 = await col0.predictBatch(x, 20)
    for (let i = 0; i < 20; i++) expect(Math.abs(p0[i]! - (1 - expected(trees, 0, x.subarray(i * F, (i + 1) * F), false)))).toBeLessThan(1e-5)
    await col0.close()
    await expect(Model.load(writeModelDir(dir(), bytes, FEATURES, 'probabilities', { output_column: 2 }), SHIPPED_CATALOG)).rejects.toThrow(/output_column 2 is past the output's 2 columns/)
  })
})
