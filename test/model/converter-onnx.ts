import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { onnx as OnnxNs } from 'onnx-proto'

const require = createRequire(import.meta.url)
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs }

/** A test tree: split nodes and leaves by id, root 0, in the converters' own order (a node, then its subtrees). */
export interface SrcNode {
  feature: number
  threshold: number
  left: number
  right: number
  leaf?: number
}

/** Deterministic random trees over `features` inputs, thresholds among the values the probes use. */
export function randomTrees(seed: number, count: number, depth: number, features: number): SrcNode[][] {
  let s = seed >>> 0
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  const cuts = [0.5, 1.5, 2.5, 4, 7.5, 20, 50, 500]
  return Array.from({ length: count }, () => {
    const nodes: SrcNode[] = []
    const grow = (d: number): number => {
      const id = nodes.length
      nodes.push({ feature: -1, threshold: 0, left: -1, right: -1 })
      if (d === depth || (d > 1 && rnd() < 0.2)) nodes[id]!.leaf = (rnd() - 0.5) * 0.8
      else {
        nodes[id]!.feature = Math.floor(rnd() * features)
        nodes[id]!.threshold = cuts[Math.floor(rnd() * cuts.length)]!
        nodes[id]!.left = grow(d + 1)
        nodes[id]!.right = grow(d + 1)
      }
      return id
    }
    grow(0)
    return nodes
  })
}

/** The probability the spec defines for a binary TreeEnsembleClassifier with LOGISTIC: sigmoid(base + Σ leaf). */
export function expected(trees: SrcNode[][], base: number, x: ArrayLike<number>, lt: boolean): number {
  let sum = base
  for (const t of trees) {
    let id = 0
    while (t[id]!.leaf === undefined) {
      const n = t[id]!
      const v = Math.fround(x[n.feature]!)
      id = (lt ? v < n.threshold : v <= n.threshold) ? n.left : n.right
    }
    sum += t[id]!.leaf!
  }
  return 1 / (1 + Math.exp(-sum))
}

export type Layout = 'lightgbm' | 'xgboost' | 'skl2onnx-zipmap'

/**
 * An ONNX file in the layout a converter writes for a binary classifier (ai.onnx.ml TreeEnsembleClassifier):
 * - lightgbm: onnxmltools.convert_lightgbm(..., zipmap=False): BRANCH_LEQ, nodes_hitrates all 1.0, no base values,
 *   outputs `label` (int64 [N]) and `probabilities` (float [N, 2]);
 * - xgboost: onnxmltools.convert_xgboost(..., zipmap=False): BRANCH_LT, no nodes_hitrates, one base value;
 * - skl2onnx-zipmap: skl2onnx's default, the probabilities as a ZipMap (a sequence of maps).
 */
export function converterOnnx(layout: Layout, trees: SrcNode[][], features: number, base = 0): Uint8Array {
  const enc = new TextEncoder()
  const a = { treeIds: [] as number[], nodeIds: [] as number[], featureIds: [] as number[], values: [] as number[], modes: [] as Uint8Array[], trueIds: [] as number[], falseIds: [] as number[], missing: [] as number[], hit: [] as number[], cTree: [] as number[], cNode: [] as number[], cIds: [] as number[], cW: [] as number[] }
  trees.forEach((t, ti) =>
    t.forEach((n, id) => {
      a.treeIds.push(ti)
      a.nodeIds.push(id)
      a.hit.push(1)
      a.missing.push(0)
      if (n.leaf !== undefined) {
        a.featureIds.push(0)
        a.values.push(0)
        a.modes.push(enc.encode('LEAF'))
        a.trueIds.push(0)
        a.falseIds.push(0)
        a.cTree.push(ti)
        a.cNode.push(id)
        a.cIds.push(0)
        a.cW.push(n.leaf)
      } else {
        a.featureIds.push(n.feature)
        a.values.push(n.threshold)
        a.modes.push(enc.encode(layout === 'xgboost' ? 'BRANCH_LT' : 'BRANCH_LEQ'))
        a.trueIds.push(n.left)
        a.falseIds.push(n.right)
      }
    }),
  )
  const ints = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: 7, ints: v })
  const floats = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: 6, floats: v })
  const str = (name: string, v: string): OnnxNs.IAttributeProto => ({ name, type: 3, s: enc.encode(v) })
  const attribute: OnnxNs.IAttributeProto[] = [
    ints('nodes_treeids', a.treeIds), ints('nodes_nodeids', a.nodeIds), ints('nodes_featureids', a.featureIds), floats('nodes_values', a.values),
    { name: 'nodes_modes', type: 8, strings: a.modes }, ints('nodes_truenodeids', a.trueIds), ints('nodes_falsenodeids', a.falseIds), ints('nodes_missing_value_tracks_true', a.missing),
    ints('class_treeids', a.cTree), ints('class_nodeids', a.cNode), ints('class_ids', a.cIds), floats('class_weights', a.cW),
    ints('classlabels_int64s', [0, 1]), str('post_transform', 'LOGISTIC'),
  ]
  if (layout !== 'xgboost') attribute.push(floats('nodes_hitrates', a.hit))
  if (layout === 'xgboost') attribute.push(floats('base_values', [base]))
  const tensor = (name: string, elem: number, dims: (number | string)[]): OnnxNs.IValueInfoProto => ({ name, type: { tensorType: { elemType: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } })
  const FLOAT = 1
  const INT64 = 7
  const nodes: OnnxNs.INodeProto[] = [{ opType: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', input: ['input'], output: ['label_tensor', 'probability_tensor'], name: 'TreeEnsembleClassifier', attribute }, { opType: 'Identity', input: ['label_tensor'], output: ['label'], name: 'Identity' }]
  const outputs: OnnxNs.IValueInfoProto[] = [tensor('label', INT64, ['N'])]
  if (layout === 'skl2onnx-zipmap') {
    nodes.push({ opType: 'ZipMap', domain: 'ai.onnx.ml', input: ['probability_tensor'], output: ['output_probability'], name: 'ZipMap', attribute: [ints('classlabels_int64s', [0, 1])] })
    outputs.push({ name: 'output_probability', type: { sequenceType: { elemType: { mapType: { keyType: INT64, valueType: { tensorType: { elemType: FLOAT } } } } } } })
  } else {
    nodes.push({ opType: 'Identity', input: ['probability_tensor'], output: ['probabilities'], name: 'Identity1' })
    outputs.push(tensor('probabilities', FLOAT, ['N', 2]))
  }
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }, { domain: 'ai.onnx.ml', version: layout === 'lightgbm' ? 1 : 3 }],
    producerName: layout === 'skl2onnx-zipmap' ? 'skl2onnx' : 'OnnxMLTools',
    graph: { name: layout, input: [tensor('input', FLOAT, ['N', features])], output: outputs, node: nodes },
  })
  return onnx.ModelProto.encode(model).finish()
}

/** A model directory as a data scientist brings one: the converter's file and a card naming Bouncer's features. */
export function writeModelDir(dir: string, bytes: Uint8Array, features: string[], output = 'probabilities', extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'model.onnx'), bytes)
  const card = {
    id: 'imported-gbm',
    version: '1',
    kind: 'gbt',
    created_by: 'a converter, in a test',
    features,
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(bytes).digest('hex'), input: 'input', output, ...extra },
    thresholds: { challenge: 60, review: 80, deny: 95 },
    training: {},
    metrics: {},
  }
  writeFileSync(join(dir, 'card.json'), JSON.stringify(card, null, 2) + '\n')
  return dir
}
