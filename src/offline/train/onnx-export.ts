import { createRequire } from 'node:module'
import type { onnx as OnnxNs } from 'onnx-proto'

const require = createRequire(import.meta.url)
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs }

export interface LinearModel {
  mean: number[]
  scale: number[]
  weights: number[]
  bias: number
}

import type { GbtModel } from '../../model/trees.js'

const FLOAT = 1

function tensor(name: string, dims: number[], values: number[]): OnnxNs.ITensorProto {
  return { name, dims, dataType: FLOAT, floatData: values }
}

/**
 * Logistic regression as a standard-opset ONNX graph, with its feature transform inside the graph so
 * the service feeds raw feature values:  p = sigmoid(((log1p(relu(x)) - mean) / scale) · w + b).
 * Input `features` float32 [N, F]; output `score` float32 [N, 1].
 */
export function exportLinearOnnx(m: LinearModel, meta: { version: string; doc: string }): Uint8Array {
  const f = m.weights.length
  const invScale = m.scale.map((s) => 1 / s)
  const vinfo = (name: string, dims: (number | string)[]): OnnxNs.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  })
  const node = (op: string, inputs: string[], output: string): OnnxNs.INodeProto => ({ opType: op, input: inputs, output: [output], name: output })
  const graph: OnnxNs.IGraphProto = {
    name: 'bouncer_risk_lr',
    input: [vinfo('features', ['N', f])],
    output: [vinfo('score', ['N', 1])],
    initializer: [tensor('one', [], [1]), tensor('mean', [f], m.mean), tensor('inv_scale', [f], invScale), tensor('w', [f, 1], m.weights), tensor('b', [1], [m.bias])],
    node: [
      node('Relu', ['features'], 'relu'),
      node('Add', ['relu', 'one'], 'plus1'),
      node('Log', ['plus1'], 'log1p'),
      node('Sub', ['log1p', 'mean'], 'centered'),
      node('Mul', ['centered', 'inv_scale'], 'z'),
      node('MatMul', ['z', 'w'], 'wz'),
      node('Add', ['wz', 'b'], 'logit'),
      node('Sigmoid', ['logit'], 'score'),
    ],
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'bouncer-train',
    producerVersion: meta.version,
    modelVersion: 1,
    docString: meta.doc,
    graph,
  })
  return onnx.ModelProto.encode(model).finish()
}

/**
 * Gradient-boosted trees as ai.onnx.ml TreeEnsembleRegressor (BRANCH_LEQ, SUM) followed by Sigmoid.
 * Each node's cover (hessian sum) is stored in nodes_hitrates, so the service can compute path
 * attributions from the model file alone.
 */
export function exportGbtOnnx(m: GbtModel, meta: { version: string; doc: string }): Uint8Array {
  // the ensemble's parallel attribute arrays: one entry per node, then one per leaf target
  const col = (): number[] => []
  const [treeIds, nodeIds, featureIds, values, trueIds, falseIds, hitrates, tTree, tNode, tIds, tWeights] = [col(), col(), col(), col(), col(), col(), col(), col(), col(), col(), col()]
  const modes: Uint8Array[] = []
  const enc = new TextEncoder()
  const LEAF = enc.encode('LEAF')
  const LEQ = enc.encode('BRANCH_LEQ')
  m.trees.forEach((tree, t) => {
    tree.forEach((node, id) => {
      treeIds.push(t)
      nodeIds.push(id)
      hitrates.push(node.cover)
      if (node.feature < 0) {
        featureIds.push(0)
        values.push(0)
        modes.push(LEAF)
        trueIds.push(0)
        falseIds.push(0)
        tTree.push(t)
        tNode.push(id)
        tIds.push(0)
        tWeights.push(node.value)
      } else {
        featureIds.push(node.feature)
        values.push(node.threshold)
        modes.push(LEQ)
        trueIds.push(node.left)
        falseIds.push(node.right)
      }
    })
  })
  const ints = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: 7, ints: v })
  const floats = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: 6, floats: v })
  const vinfo = (name: string, dims: (number | string)[]): OnnxNs.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  })
  const ensemble: OnnxNs.INodeProto = {
    opType: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    input: ['features'],
    output: ['logit'],
    name: 'trees',
    attribute: [
      ints('nodes_treeids', treeIds),
      ints('nodes_nodeids', nodeIds),
      ints('nodes_featureids', featureIds),
      floats('nodes_values', values),
      { name: 'nodes_modes', type: 8, strings: modes },
      ints('nodes_truenodeids', trueIds),
      ints('nodes_falsenodeids', falseIds),
      floats('nodes_hitrates', hitrates),
      ints('target_treeids', tTree),
      ints('target_nodeids', tNode),
      ints('target_ids', tIds),
      floats('target_weights', tWeights),
      { name: 'n_targets', type: 2, i: 1 },
      { name: 'aggregate_function', type: 3, s: enc.encode('SUM') },
      { name: 'post_transform', type: 3, s: enc.encode('NONE') },
      floats('base_values', [m.base]),
    ],
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }, { domain: 'ai.onnx.ml', version: 3 }],
    producerName: 'bouncer-train',
    producerVersion: meta.version,
    modelVersion: 1,
    docString: meta.doc,
    graph: {
      name: 'bouncer_risk_gbt',
      input: [vinfo('features', ['N', m.features])],
      output: [vinfo('score', ['N', 1])],
      node: [ensemble, { opType: 'Sigmoid', input: ['logit'], output: ['score'], name: 'score' }],
    },
  })
  return onnx.ModelProto.encode(model).finish()
}
