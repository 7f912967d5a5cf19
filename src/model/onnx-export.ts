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
