import { createRequire } from 'node:module'
import type { onnx as OnnxNs } from 'onnx-proto'
import type { GbtModel, Tree } from './trees.js'

const require = createRequire(import.meta.url)
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs }

/** Rebuilds the trees of an exported TreeEnsembleRegressor (with covers from nodes_hitrates) for attributions. */
export function readGbtFromOnnx(bytes: Uint8Array, features: number): GbtModel {
  const model = onnx.ModelProto.decode(bytes)
  const node = model.graph?.node?.find((n) => n.opType === 'TreeEnsembleRegressor')
  if (!node) throw new Error('no TreeEnsembleRegressor node')
  const attr = (name: string) => node.attribute?.find((a) => a.name === name)
  const ints = (name: string) => (attr(name)?.ints ?? []).map(Number)
  const floats = (name: string) => attr(name)?.floats ?? []
  const treeIds = ints('nodes_treeids')
  const nodeIds = ints('nodes_nodeids')
  const featureIds = ints('nodes_featureids')
  const values = floats('nodes_values')
  const modes = (attr('nodes_modes')?.strings ?? []).map((b) => new TextDecoder().decode(b))
  const trueIds = ints('nodes_truenodeids')
  const falseIds = ints('nodes_falsenodeids')
  const covers = floats('nodes_hitrates')
  if (covers.length !== treeIds.length) throw new Error('nodes_hitrates (node covers) missing')
  const trees: Tree[] = []
  for (let k = 0; k < treeIds.length; k++) {
    const tree = (trees[treeIds[k]!] ??= [])
    const leaf = modes[k] === 'LEAF'
    tree[nodeIds[k]!] = { feature: leaf ? -1 : featureIds[k]!, threshold: values[k]!, left: leaf ? -1 : trueIds[k]!, right: leaf ? -1 : falseIds[k]!, value: 0, cover: covers[k]! }
  }
  const tTree = ints('target_treeids')
  const tNode = ints('target_nodeids')
  const tW = floats('target_weights')
  for (let k = 0; k < tTree.length; k++) trees[tTree[k]!]![tNode[k]!]!.value = tW[k]!
  for (const tree of trees) {
    for (let id = tree.length - 1; id >= 0; id--) {
      const n = tree[id]!
      if (n.feature >= 0) {
        const l = tree[n.left]!
        const r = tree[n.right]!
        n.value = (l.value * l.cover + r.value * r.cover) / Math.max(l.cover + r.cover, 1e-12)
      }
    }
  }
  return { base: floats('base_values')[0] ?? 0, trees, features }
}
