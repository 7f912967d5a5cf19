import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { predictGbt } from '../src/model/trees.js'
import { loadRuleSet } from '../src/rules/ruleset.js'
import { Model, vectorize } from '../src/model/model.js'
import { readGbtFromOnnx } from '../src/model/onnx-read.js'
import { runSimulated } from '../src/offline/train/run-sim.js'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { DEFAULT_PARAMS, simulate } from '../src/offline/sim/simulate.js'
import { machine, writeResult } from './machine.js'

/**
 * ONNX inference per event: batch size 1 (what the service does per request), then larger batches
 * (what micro-batching across concurrent requests would buy), and the same trees walked in JS.
 *   npm run bench:model [-- DIR]
 */
const dir = process.argv[2] ?? 'models/risk-gbt'
const model = await Model.load(dir, loadRuleSet('rules').catalog)
const rows = await runSimulated(simulate(sharedSignalData().asn, { ...DEFAULT_PARAMS, seed: 77, scale: 0.1 }), null, 'rules')
const vecs = rows.map((r) => vectorize(model.card.features, r.response.features as Record<string, number | boolean | string>))
const F = model.card.features.length
const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!

for (let i = 0; i < 2000; i++) await model.predict(vecs[i % vecs.length]!)
const lat: number[] = []
for (let i = 0; i < 20_000; i++) {
  const t = performance.now()
  await model.predict(vecs[i % vecs.length]!)
  lat.push((performance.now() - t) * 1000)
}
const batch1 = { p50_us: pct(lat, 0.5), p99_us: pct(lat, 0.99), mean_us: lat.reduce((s, x) => s + x, 0) / lat.length }

const batches: Record<string, { per_event_us: number; per_call_p50_us: number }> = {}
for (const size of [8, 32, 128]) {
  const buf = new Float32Array(size * F)
  const calls: number[] = []
  for (let k = 0; k < 2000; k++) {
    for (let j = 0; j < size; j++) buf.set(vecs[(k * size + j) % vecs.length]!, j * F)
    const t = performance.now()
    await model.predictBatch(buf, size)
    calls.push((performance.now() - t) * 1000)
  }
  const p50 = pct(calls, 0.5)
  batches[size] = { per_event_us: p50 / size, per_call_p50_us: p50 }
}

let js: { p50_us: number } | undefined
if (model.card.kind === 'gbt') {
  const trees = readGbtFromOnnx(readFileSync(join(dir, 'model.onnx')), F)
  let sink = 0
  for (let i = 0; i < 20_000; i++) sink += predictGbt(trees, vecs[i % vecs.length]!)
  const t = performance.now()
  for (let i = 0; i < 100_000; i++) sink += predictGbt(trees, vecs[i % vecs.length]!)
  js = { p50_us: ((performance.now() - t) * 1000) / 100_000 }
  if (sink < 0) console.log(sink)
}
await model.close()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${model.card.id} (${model.card.kind}, ${F} features)`)
console.log(`onnxruntime batch 1: p50 ${batch1.p50_us.toFixed(1)} µs, p99 ${batch1.p99_us.toFixed(1)} µs per event`)
for (const [size, b] of Object.entries(batches)) console.log(`onnxruntime batch ${size}: ${b.per_event_us.toFixed(2)} µs per event (${b.per_call_p50_us.toFixed(0)} µs per call)`)
if (js) console.log(`the same trees walked in JS: ${js.p50_us.toFixed(2)} µs per event (mean)`)
console.log(`written to ${writeResult(`model-${model.card.id}`, { model: model.card.id, kind: model.card.kind, batch1, batches, js })}`)
