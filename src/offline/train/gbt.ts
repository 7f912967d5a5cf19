/**
 * Gradient-boosted decision trees for binary log-loss, trained on quantile bins (histogram method, as
 * LightGBM and XGBoost's `hist`). Deterministic: no sampling, fixed iteration order, ties broken by
 * feature index. Thresholds are float32 so the exported ONNX graph splits exactly where the trainer did.
 */
import { leafValue, type GbtModel, type Tree } from '../../model/trees.js'
import { progress } from '../../util/progress.js'

export interface GbtOptions {
  trees: number
  depth: number
  learningRate: number
  bins: number
  lambda: number
  minChildWeight: number
}

const f32 = Math.fround

function binEdges(values: Float32Array[], j: number, bins: number): number[] {
  const col = Float64Array.from(values, (r) => r[j]!).sort()
  const edges: number[] = []
  for (let b = 1; b < bins; b++) {
    const v = f32(col[Math.floor((b * col.length) / bins)]!)
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v)
  }
  // a value equal to the maximum never splits off anything
  if (edges.length > 0 && edges[edges.length - 1]! >= f32(col[col.length - 1]!)) edges.pop()
  return edges
}

export function trainGbt(rows: Float32Array[], labels: Uint8Array, o: GbtOptions): GbtModel {
  const n = rows.length
  const F = rows[0]!.length
  const edges = Array.from({ length: F }, (_, j) => binEdges(rows, j, o.bins))
  // bin index per row per feature: x <= edges[k] goes to bin k, above all edges to bin edges.length
  const bin = Array.from({ length: F }, (_, j) => {
    const e = edges[j]!
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const x = f32(rows[i]![j]!)
      let lo = 0
      let hi = e.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (x <= e[mid]!) hi = mid
        else lo = mid + 1
      }
      out[i] = lo
    }
    return out
  })
  let pos = 0
  for (let i = 0; i < n; i++) pos += labels[i]!
  const prior = Math.min(Math.max(pos / n, 1e-6), 1 - 1e-6)
  const base = Math.log(prior / (1 - prior))
  const raw = new Float64Array(n).fill(base)
  const g = new Float64Array(n)
  const h = new Float64Array(n)
  const trees: Tree[] = []
  const nodeOf = new Int32Array(n)

  const shown = progress('fitting trees', o.trees, { every: 1 })
  for (let t = 0; t < o.trees; t++) {
    shown.tick()
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-raw[i]!))
      g[i] = p - labels[i]!
      h[i] = Math.max(p * (1 - p), 1e-12)
    }
    const tree: Tree = [{ feature: -1, threshold: 0, left: -1, right: -1, value: 0, cover: 0 }]
    nodeOf.fill(0)
    let frontier = [0]
    for (let depth = 0; depth <= o.depth; depth++) {
      // gradient and hessian sums per frontier node, and per node per feature per bin
      const sums = new Map<number, { G: number; H: number; hist: Float64Array }>()
      for (const id of frontier) sums.set(id, { G: 0, H: 0, hist: new Float64Array(F * (o.bins + 1) * 2) })
      for (let i = 0; i < n; i++) {
        const s = sums.get(nodeOf[i]!)
        if (!s) continue
        s.G += g[i]!
        s.H += h[i]!
        if (depth === o.depth) continue
        for (let j = 0; j < F; j++) {
          const k = (j * (o.bins + 1) + bin[j]![i]!) * 2
          s.hist[k]! += g[i]!
          s.hist[k + 1]! += h[i]!
        }
      }
      const next: number[] = []
      for (const id of frontier) {
        const s = sums.get(id)!
        const node = tree[id]!
        node.cover = s.H
        node.value = (-s.G / (s.H + o.lambda)) * o.learningRate
        if (depth === o.depth || s.H < 2 * o.minChildWeight) continue
        const parentScore = (s.G * s.G) / (s.H + o.lambda)
        let best = 1e-9
        let bestJ = -1
        let bestK = -1
        for (let j = 0; j < F; j++) {
          let GL = 0
          let HL = 0
          const nb = edges[j]!.length
          for (let k = 0; k < nb; k++) {
            const at = (j * (o.bins + 1) + k) * 2
            GL += s.hist[at]!
            HL += s.hist[at + 1]!
            const GR = s.G - GL
            const HR = s.H - HL
            if (HL < o.minChildWeight || HR < o.minChildWeight) continue
            const gain = (GL * GL) / (HL + o.lambda) + (GR * GR) / (HR + o.lambda) - parentScore
            if (gain > best) {
              best = gain
              bestJ = j
              bestK = k
            }
          }
        }
        if (bestJ < 0) continue
        node.feature = bestJ
        node.threshold = edges[bestJ]![bestK]!
        node.left = tree.length
        tree.push({ feature: -1, threshold: 0, left: -1, right: -1, value: 0, cover: 0 })
        node.right = tree.length
        tree.push({ feature: -1, threshold: 0, left: -1, right: -1, value: 0, cover: 0 })
        next.push(node.left, node.right)
      }
      if (next.length === 0) break
      // route the rows of nodes that split to their children (the same comparison prediction makes)
      const splitNow = new Set(frontier.filter((id) => tree[id]!.feature >= 0))
      for (let i = 0; i < n; i++) {
        if (!splitNow.has(nodeOf[i]!)) continue
        const node = tree[nodeOf[i]!]!
        nodeOf[i] = f32(rows[i]![node.feature]!) <= node.threshold ? node.left : node.right
      }
      frontier = next
    }
    // leaves keep their values; split nodes take the cover-weighted mean of their children (for attributions)
    for (let id = tree.length - 1; id >= 0; id--) {
      const node = tree[id]!
      node.value = f32(node.value)
      if (node.feature >= 0) {
        const l = tree[node.left]!
        const r = tree[node.right]!
        node.value = (l.value * l.cover + r.value * r.cover) / Math.max(l.cover + r.cover, 1e-12)
      }
    }
    for (let i = 0; i < n; i++) raw[i]! += leafValue(tree, rows[i]!)
    trees.push(tree)
  }
  shown.done()
  return { base, trees, features: F }
}
