/**
 * A gradient-boosted tree ensemble as serving reads it back from the ONNX file: the trees, their covers, and
 * per-feature path contributions for explanations. Thresholds are float32, as the ONNX graph compares.
 */
export interface TreeNode {
  /** -1 for a leaf */
  feature: number
  threshold: number
  left: number
  right: number
  /** leaf value (for leaves) or the hessian-weighted mean of the leaves below (for splits) */
  value: number
  /** sum of hessians reaching the node: the weight used for path attributions */
  cover: number
}
export type Tree = TreeNode[]

export interface GbtModel {
  base: number
  trees: Tree[]
  features: number
}

const f32 = Math.fround

export function leafValue(tree: Tree, x: ArrayLike<number>): number {
  let id = 0
  for (;;) {
    const node = tree[id]!
    if (node.feature < 0) return node.value
    id = f32(x[node.feature]!) <= node.threshold ? node.left : node.right
  }
}

/** The trainer's own prediction (probability), for the ONNX parity test. */
export function predictGbt(m: GbtModel, x: ArrayLike<number>): number {
  let s = m.base
  for (const t of m.trees) s += leafValue(t, x)
  return 1 / (1 + Math.exp(-s))
}

/**
 * Per-feature contributions to the logit along each tree's decision path (Saabas): each split credits
 * its feature with the change in expected value from the node to the child taken.
 */
export function gbtContributions(m: GbtModel, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(m.features)
  for (const tree of m.trees) {
    let id = 0
    for (;;) {
      const node = tree[id]!
      if (node.feature < 0) break
      const child = f32(x[node.feature]!) <= node.threshold ? node.left : node.right
      out[node.feature]! += tree[child]!.value - node.value
      id = child
    }
  }
  return out
}
