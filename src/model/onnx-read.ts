import { createRequire } from 'node:module'
import type { onnx as OnnxNs } from 'onnx-proto'
import { SPLIT_MODES, type GbtModel, type SplitMode, type Tree } from './trees.js'

const require = createRequire(import.meta.url)
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs }

export interface TreeEnsembleRead {
  model: GbtModel
  op: 'TreeEnsembleRegressor' | 'TreeEnsembleClassifier'
  /**
   * hitrates: the file's node covers weight the path attributions (Bouncer's own trainer writes hessian sums);
   * uniform: the file has none, or all equal (onnxmltools writes 1.0 everywhere), so each leaf counts once:
   * the attributions still name the features on the path, with approximate sizes.
   */
  covers: 'hitrates' | 'uniform'
}

const TREE_OPS = ['TreeEnsembleRegressor', 'TreeEnsembleClassifier'] as const

/**
 * Rebuilds a binary tree ensemble from an ONNX file for path attributions: Bouncer's own TreeEnsembleRegressor
 * (+ Sigmoid), and the TreeEnsembleClassifier that onnxmltools (LightGBM, XGBoost) and skl2onnx write for a
 * binary classifier: one score per row on class id 0 or 1, LOGISTIC post-transform, any split mode. Throws,
 * saying why, for a layout it cannot read (multi-class, several ensembles); the model still serves, unexplained.
 */
export function readTreeEnsemble(bytes: Uint8Array, features: number): TreeEnsembleRead {
  const model = onnx.ModelProto.decode(bytes)
  const nodes = model.graph?.node?.filter((n) => (TREE_OPS as readonly string[]).includes(n.opType ?? '')) ?? []
  if (nodes.length === 0) throw new Error('no TreeEnsembleRegressor or TreeEnsembleClassifier node')
  if (nodes.length > 1) throw new Error(`${nodes.length} tree ensembles in one graph`)
  const node = nodes[0]!
  const op = node.opType as TreeEnsembleRead['op']
  const attr = (name: string) => node.attribute?.find((a) => a.name === name)
  const ints = (name: string) => (attr(name)?.ints ?? []).map(Number)
  const floats = (name: string) => attr(name)?.floats ?? []
  const text = (b: Uint8Array) => new TextDecoder().decode(b)
  if (attr('nodes_values_as_tensor') || attr('class_weights_as_tensor') || attr('target_weights_as_tensor')) throw new Error('double-precision (_as_tensor) attributes are not read')
  const treeIds = ints('nodes_treeids')
  const nodeIds = ints('nodes_nodeids')
  const featureIds = ints('nodes_featureids')
  const values = floats('nodes_values')
  const modes = (attr('nodes_modes')?.strings ?? []).map(text)
  const trueIds = ints('nodes_truenodeids')
  const falseIds = ints('nodes_falsenodeids')
  const missing = ints('nodes_missing_value_tracks_true')
  const hitrates = floats('nodes_hitrates')
  const covered = hitrates.length === treeIds.length && hitrates.some((h) => h !== hitrates[0])
  const prefix = op === 'TreeEnsembleClassifier' ? 'class' : 'target'
  const tTree = ints(`${prefix}_treeids`)
  const tNode = ints(`${prefix}_nodeids`)
  const tIds = ints(`${prefix}_ids`)
  const tW = floats(`${prefix}_weights`)
  const post = attr('post_transform')?.s ? text(attr('post_transform')!.s!) : 'NONE'
  let base: number
  if (op === 'TreeEnsembleClassifier') {
    const labels = attr('classlabels_int64s')?.ints?.length ?? attr('classlabels_strings')?.strings?.length ?? 0
    if (labels !== 2) throw new Error(`a classifier with ${labels} classes; only binary models are read`)
    if (new Set(tIds).size > 1) throw new Error('leaf weights on both classes; the binary layout has them on one')
    if (post !== 'LOGISTIC') throw new Error(`post_transform ${post}; a binary classifier's is LOGISTIC`)
    const bv = floats('base_values')
    if (bv.length > 1) throw new Error(`${bv.length} base values; the binary layout has at most one`)
    base = bv[0] ?? 0
  } else {
    if (post !== 'NONE') throw new Error(`post_transform ${post}; Bouncer's regressor layout has NONE and a Sigmoid after it`)
    base = floats('base_values')[0] ?? 0
  }
  const trees: Tree[] = []
  const firstId = new Map<number, number>()
  for (let k = 0; k < treeIds.length; k++) {
    const t = treeIds[k]!
    const tree = (trees[t] ??= [])
    if (!firstId.has(t)) firstId.set(t, nodeIds[k]!)
    const mode = modes[k] ?? 'LEAF'
    const leaf = mode === 'LEAF'
    if (!leaf && !(SPLIT_MODES as readonly string[]).includes(mode)) throw new Error(`node mode ${mode}`)
    if (!leaf && (featureIds[k]! < 0 || featureIds[k]! >= features)) throw new Error(`a split on feature ${featureIds[k]}, past the card's ${features} features`)
    tree[nodeIds[k]!] = {
      feature: leaf ? -1 : featureIds[k]!,
      threshold: values[k]!,
      left: leaf ? -1 : trueIds[k]!,
      right: leaf ? -1 : falseIds[k]!,
      value: 0,
      cover: covered ? hitrates[k]! : 0,
      ...(leaf || mode === 'BRANCH_LEQ' ? {} : { mode: mode as SplitMode }),
      ...(missing[k] ? { missingLeft: true } : {}),
    }
  }
  // the spec has every tree's ids start at 0 and increase by one; converters write them so
  for (const [t, first] of firstId) if (first !== 0 || trees[t]!.some((n) => n === undefined)) throw new Error(`tree ${t}'s node ids do not run 0..n-1`)
  for (let k = 0; k < tTree.length; k++) {
    const n = trees[tTree[k]!]?.[tNode[k]!]
    if (!n) throw new Error(`a leaf weight for tree ${tTree[k]} node ${tNode[k]}, which does not exist`)
    n.value += tW[k]!
  }
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t]
    if (!tree) throw new Error(`tree ids skip ${t}`)
    if (!covered) uniformCovers(tree, 0)
    // children may come before or after their parent in the arrays: fill values from the leaves up
    meanValue(tree, 0)
  }
  return { model: { base, trees, features }, op, covers: covered ? 'hitrates' : 'uniform' }
}

function uniformCovers(tree: Tree, id: number): number {
  const n = tree[id]!
  n.cover = n.feature < 0 ? 1 : uniformCovers(tree, n.left) + uniformCovers(tree, n.right)
  return n.cover
}

function meanValue(tree: Tree, id: number): number {
  const n = tree[id]!
  if (n.feature < 0) return n.value
  const l = meanValue(tree, n.left)
  const r = meanValue(tree, n.right)
  const lc = tree[n.left]!.cover
  const rc = tree[n.right]!.cover
  n.value = (l * lc + r * rc) / Math.max(lc + rc, 1e-12)
  return n.value
}

/** Bouncer's own layout (kept for the tests and benches that read the shipped model). */
export function readGbtFromOnnx(bytes: Uint8Array, features: number): GbtModel {
  return readTreeEnsemble(bytes, features).model
}

/** The declared type of a graph output: a tensor, or a sequence/map (a ZipMap), which onnxruntime-node cannot return. */
export function outputKind(bytes: Uint8Array, name: string): 'tensor' | 'sequence' | 'map' | 'unknown' {
  const out = onnx.ModelProto.decode(bytes).graph?.output?.find((o) => o.name === name)
  if (!out?.type) return 'unknown'
  if (out.type.tensorType) return 'tensor'
  if (out.type.sequenceType) return 'sequence'
  if (out.type.mapType) return 'map'
  return 'unknown'
}
