import type { LinearModel } from './onnx-export.js'

/** The transform the ONNX graph applies before the linear layer. */
export const transform = (x: number) => Math.log1p(Math.max(x, 0))

export interface TrainOptions {
  iterations: number
  learningRate: number
  l2: number
}

/**
 * Full-batch logistic regression with balanced class weights and momentum. Deterministic: plain loops
 * in a fixed order, so the same data gives bit-identical weights (and so the same ONNX sha256).
 */
export function trainLogistic(rows: Float32Array[], labels: Uint8Array, o: TrainOptions): LinearModel {
  const n = rows.length
  const f = rows[0]!.length
  const mean = new Array<number>(f).fill(0)
  const scale = new Array<number>(f).fill(0)
  const z = rows.map((r) => Float64Array.from(r, transform))
  for (const r of z) for (let j = 0; j < f; j++) mean[j]! += r[j]! / n
  for (const r of z) for (let j = 0; j < f; j++) scale[j]! += (r[j]! - mean[j]!) ** 2 / n
  for (let j = 0; j < f; j++) scale[j] = Math.sqrt(scale[j]!) > 1e-6 ? Math.sqrt(scale[j]!) : 1
  for (const r of z) for (let j = 0; j < f; j++) r[j] = (r[j]! - mean[j]!) / scale[j]!

  let pos = 0
  for (let i = 0; i < n; i++) pos += labels[i]!
  const wPos = n / (2 * Math.max(pos, 1))
  const wNeg = n / (2 * Math.max(n - pos, 1))
  const w = new Float64Array(f)
  const vw = new Float64Array(f)
  let b = 0
  let vb = 0
  const grad = new Float64Array(f)
  for (let it = 0; it < o.iterations; it++) {
    grad.fill(0)
    let gb = 0
    for (let i = 0; i < n; i++) {
      const r = z[i]!
      let s = b
      for (let j = 0; j < f; j++) s += w[j]! * r[j]!
      const p = 1 / (1 + Math.exp(-s))
      const y = labels[i]!
      const g = (p - y) * (y === 1 ? wPos : wNeg)
      for (let j = 0; j < f; j++) grad[j]! += g * r[j]!
      gb += g
    }
    for (let j = 0; j < f; j++) {
      vw[j] = 0.9 * vw[j]! - o.learningRate * (grad[j]! / n + o.l2 * w[j]!)
      w[j]! += vw[j]!
    }
    vb = 0.9 * vb - o.learningRate * (gb / n)
    b += vb
  }
  // Rounded to float32 so that the exported graph and the trainer's own prediction use the same numbers.
  const f32 = (x: number) => Math.fround(x)
  return { mean: mean.map(f32), scale: scale.map(f32), weights: Array.from(w, f32), bias: f32(b) }
}

/** The trainer's own prediction, for the ONNX parity test. */
export function predictLinear(m: LinearModel, x: ArrayLike<number>): number {
  let s = m.bias
  for (let j = 0; j < m.weights.length; j++) s += m.weights[j]! * ((transform(x[j]!) - m.mean[j]!) / m.scale[j]!)
  return 1 / (1 + Math.exp(-s))
}
