/**
 * A gradient-boosted tree ensemble as serving reads it back from the ONNX file: the trees, their covers, and
 * per-feature path contributions for explanations. Thresholds are float32, as the ONNX graph compares.
 */
/** ai.onnx.ml split modes: the condition under which a node sends a row to its true (left) child */
export const SPLIT_MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'] as const
export type SplitMode = (typeof SPLIT_MODES)[number]

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
  /** the split's condition for the left (true) child; absent: BRANCH_LEQ, what Bouncer's own trainer writes */
  mode?: SplitMode | undefined
  /** where a NaN goes (converters' nodes_missing_value_tracks_true); Bouncer's vectors never hold NaN */
  missingLeft?: boolean | undefined
}
export type Tree = TreeNode[]

export interface GbtModel {
  base: number
  trees: Tree[]
  features: number
}

const f32 = Math.fround

/** The child a row takes at a split node. */
export function child(node: TreeNode, x: ArrayLike<number>): number {
  const v = f32(x[node.feature]!)
  const t = node.threshold
  if (Number.isNaN(v)) return node.missingLeft ? node.left : node.right
  let left: boolean
  switch (node.mode) {
    case undefined:
    case 'BRANCH_LEQ':
      left = v <= t
      break
    case 'BRANCH_LT':
      left = v < t
      break
    case 'BRANCH_GTE':
      left = v >= t
      break
    case 'BRANCH_GT':
      left = v > t
      break
    case 'BRANCH_EQ':
      left = v === t
      break
    case 'BRANCH_NEQ':
      left = v !== t
      break
  }
  return left ? node.left : node.right
}

export function leafValue(tree: Tree, x: ArrayLike<number>): number {
  let id = 0
  for (;;) {
    const node = tree[id]!
    if (node.feature < 0) return node.value
    id = child(node, x)
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
      const next = child(node, x)
      out[node.feature]! += tree[next]!.value - node.value
      id = next
    }
  }
  return out
}
