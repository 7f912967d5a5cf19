import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CardSchema } from '../../src/model/card.js'
import { Model, ModelLoadError, vectorize } from '../../src/model/model.js'
import { exportGbtOnnx, exportLinearOnnx } from '../../src/offline/train/onnx-export.js'
import { readGbtFromOnnx } from '../../src/model/onnx-read.js'
import { trainGbt } from '../../src/offline/train/gbt.js'
import { gbtContributions, predictGbt } from '../../src/model/trees.js'
import { predictLinear, trainLogistic } from '../../src/offline/train/train-lr.js'
import { SHIPPED_CATALOG } from '../helpers.js'
import { Catalog } from '../../src/features/catalog.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'
import { counterFeatures } from '../../src/velocity/counters.js'

const SHIPPED_COUNTERS = loadRuleSet('rules').counters
import { Rng } from '../../src/offline/sim/random.js'

const SHIPPED = 'models/risk-gbt'
const SHIPPED_LR = 'models/risk-lr'

/** Random feature values shaped like the service's: many zeros, flags, and long-tailed counts. */
function featureRows(r: Rng, length: number, zeroShare: number, countScale: number): Float32Array {
  return Float32Array.from({ length }, () => (r.chance(zeroShare) ? 0 : r.chance(0.5) ? 1 : Math.floor(r.exp(countScale))))
}

function copyModel(): string {
  const d = mkdtempSync(join(tmpdir(), 'bouncer-model-'))
  cpSync(SHIPPED, d, { recursive: true })
  return d
}

async function loadError(dir: string): Promise<ModelLoadError> {
  try {
    await Model.load(dir, SHIPPED_CATALOG)
  } catch (err) {
    if (err instanceof ModelLoadError) return err
    throw err
  }
  throw new Error('expected the model to be rejected')
}

describe('shipped linear model (baseline)', () => {
  let model: Model
  beforeAll(async () => {
    model = await Model.load(SHIPPED_LR, SHIPPED_CATALOG)
  })
  afterAll(() => model.close())

  it('matches the trainer’s own prediction to 1e-5 (ONNX parity)', async () => {
    const n = 200
    const f = model.card.features.length
    const rows = featureRows(new Rng(42), n * f, 0.3, 20)
    const onnx = await model.predictBatch(rows, n)
    for (let i = 0; i < n; i++) {
      expect(Math.abs(onnx[i]! - predictLinear(model.card.linear!, rows.subarray(i * f, (i + 1) * f)))).toBeLessThan(1e-5)
    }
  })

  it('separates a farm-like vector from a shopper-like one', async () => {
    const base = { 'event.is_registration': true, 'ua.present': true, 'behavior.present': true, 'behavior.fill_ms': 20000, 'behavior.keystrokes': 40, 'behavior.pointer_moves': 90, 'email.present': true, 'phone.present': true, 'phone.valid': true, 'phone.mobile': true, 'email.free_mail': true }
    const farm = { ...base, 'device.emulator': true, 'ip.hosting': true, 'email.disposable': true, 'phone.virtual_operator': true, 'behavior.fill_ms': 300, 'behavior.keystrokes': 0, 'behavior.pointer_moves': 0, 'device.registrations_24h': 12, 'device.accounts_24h': 12 }
    const p = (x: Record<string, number | boolean>) => model.predict(vectorize(model.card.features, x))
    expect(await p(farm)).toBeGreaterThan(await p(base))
  })

  it('explains a linear score with the features that pushed it up', () => {
    const shopper = { 'event.is_login': true, 'ip.version': 4, 'ua.present': true, 'ua.length': 120, 'device.present': true, 'behavior.present': true, 'behavior.fill_ms': 9000, 'behavior.keystrokes': 20, 'behavior.pointer_moves': 60 }
    const top = model.explain(vectorize(model.card.features, { ...shopper, 'ua.automation': true, 'ip.login_failures_10m': 40, 'ip.accounts_tried_10m': 40 }))
    expect(top.length).toBeGreaterThan(0)
    expect(top.every((a) => a.contribution > 0)).toBe(true)
    expect(top.map((a) => a.feature).some((f) => ['ua.automation', 'ip.login_failures_10m', 'ip.accounts_tried_10m', 'ip.login_failures_1h'].includes(f))).toBe(true)
  })
})

describe('shipped tree model', () => {
  let model: Model
  beforeAll(async () => {
    model = await Model.load(SHIPPED, SHIPPED_CATALOG)
  })
  afterAll(() => model.close())

  it('is the tree ensemble the service loads by default', () => {
    expect(model.card.kind).toBe('gbt')
  })

  it('ONNX output equals the trees read back from the file to 1e-5', async () => {
    const trees = readGbtFromOnnx(readFileSync(join(SHIPPED, 'model.onnx')), model.card.features.length)
    const n = 200
    const f = model.card.features.length
    const rows = featureRows(new Rng(8), n * f, 0.4, 10)
    const onnx = await model.predictBatch(rows, n)
    for (let i = 0; i < n; i++) expect(Math.abs(onnx[i]! - predictGbt(trees, rows.subarray(i * f, (i + 1) * f)))).toBeLessThan(1e-5)
  })

  it('gives each of many concurrent predictions what it would get alone (micro-batched runs)', async () => {
    const r = new Rng(9)
    const f = model.card.features.length
    const vectors = Array.from({ length: 150 }, () => featureRows(r, f, 0.4, 10))
    const together = await Promise.all(vectors.map((v) => model.predict(v)))
    for (let i = 0; i < vectors.length; i++) expect(together[i]).toBe((await model.predictBatch(vectors[i]!, 1))[0])
  })

  it('explains a score by the trees’ path contributions, which sum to the logit', async () => {
    const shopper = { 'event.is_login': true, 'ip.version': 4, 'ua.present': true, 'ua.length': 120, 'device.present': true, 'behavior.present': true, 'behavior.fill_ms': 9000, 'behavior.keystrokes': 20, 'behavior.pointer_moves': 60 }
    const v = vectorize(model.card.features, { ...shopper, 'ua.automation': true, 'ip.login_failures_10m': 40, 'ip.accounts_tried_10m': 40, 'ip.prefix_login_failures_10m': 40 })
    const top = model.explain(v)
    expect(top.length).toBeGreaterThan(0)
    expect(top.every((x) => x.contribution > 0)).toBe(true)
    const trees = readGbtFromOnnx(readFileSync(join(SHIPPED, 'model.onnx')), model.card.features.length)
    const sum = gbtContributions(trees, v).reduce((s, x) => s + x, 0)
    // Saabas contributions add up to the logit minus the trees' expected value at the root
    const rootExpectation = trees.trees.reduce((s, t) => s + t[0]!.value, trees.base)
    const p = await model.predict(v)
    expect(sum + rootExpectation).toBeCloseTo(Math.log(p / (1 - p)), 3)
  })
})

describe('tree trainer and export', () => {
  const r = new Rng(17)
  const rows = Array.from({ length: 2000 }, () => Float32Array.from([r.exp(3), r.chance(0.5) ? 1 : 0, r.exp(1), r.next()]))
  const labels = Uint8Array.from(rows, (x) => (x[0]! + 2 * x[1]! > 4 || x[3]! > 0.9 ? 1 : 0))
  const opts = { trees: 30, depth: 3, learningRate: 0.2, bins: 32, lambda: 1, minChildWeight: 1 }

  it('exports ONNX whose output equals the trainer’s own prediction to 1e-5', async () => {
    const m = trainGbt(rows, labels, opts)
    const { InferenceSession, Tensor } = await import('onnxruntime-node')
    const s = await InferenceSession.create(exportGbtOnnx(m, { version: 't', doc: 't' }))
    const flat = new Float32Array(rows.length * 4)
    rows.forEach((x, i) => flat.set(x, i * 4))
    const out = (await s.run({ features: new Tensor('float32', flat, [rows.length, 4]) })).score!.data as Float32Array
    rows.forEach((x, i) => expect(Math.abs(out[i]! - predictGbt(m, x))).toBeLessThan(1e-5))
  })

  it('is deterministic and learns the signal', () => {
    const a = exportGbtOnnx(trainGbt(rows, labels, opts), { version: 't', doc: 't' })
    const b = exportGbtOnnx(trainGbt(rows, labels, opts), { version: 't', doc: 't' })
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    const m = trainGbt(rows, labels, opts)
    const correct = rows.filter((x, i) => (predictGbt(m, x) > 0.5 ? 1 : 0) === labels[i]).length
    expect(correct / rows.length).toBeGreaterThan(0.95)
  })
})

describe('model loading checks', () => {
  it('rejects an ONNX file whose sha256 differs from the card, naming the card line', async () => {
    const d = copyModel()
    const bytes = readFileSync(join(d, 'model.onnx'))
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1
    writeFileSync(join(d, 'model.onnx'), bytes)
    const e = await loadError(d)
    expect(e.file).toMatch(/card\.json$/)
    expect(e.message).toMatch(/sha256 does not match/)
    expect(e.line).toBe(readFileSync(join(d, 'card.json'), 'utf8').split('\n').findIndex((l) => l.includes('"sha256"')) + 1)
  })

  it('refuses a card that names a feature the service does not compute', async () => {
    const d = copyModel()
    const text = readFileSync(join(d, 'card.json'), 'utf8').replace('"ip.hosting"', '"ip.is_cloud"')
    writeFileSync(join(d, 'card.json'), text)
    const e = await loadError(d)
    expect(e.message).toContain('`ip.is_cloud`')
    expect(e.line).toBe(text.split('\n').findIndex((l) => l.includes('"ip.is_cloud"')) + 1)
  })

  it('refuses the shipped model on counters that no longer source a derived feature it reads', async () => {
    // the defect this guards: with the site counters deleted, the failure ratio was silently read as 0
    const withoutSite = new Catalog(counterFeatures(SHIPPED_COUNTERS.filter((c) => !c.name.startsWith('site.'))))
    const card = JSON.parse(readFileSync(join(SHIPPED, 'card.json'), 'utf8')) as { features: string[] }
    expect(card.features).toContain('site.login_failure_ratio_10m')
    let e: unknown
    try {
      await Model.load(SHIPPED, withoutSite)
    } catch (err) {
      e = err
    }
    expect(e).toBeInstanceOf(ModelLoadError)
    expect((e as ModelLoadError).message).toContain('`site.login_failure_ratio_10m`, which has no source: it is derived from `site.logins_10m`, `site.login_failures_10m`')
    expect((e as ModelLoadError).line).toBe(readFileSync(join(SHIPPED, 'card.json'), 'utf8').split('\n').findIndex((l) => l.includes('"site.login_failure_ratio_10m"')) + 1)
  })

  it('reports invalid JSON with its line', async () => {
    const d = copyModel()
    writeFileSync(join(d, 'card.json'), '{\n  "id": "x",\n  oops\n}')
    const e = await loadError(d)
    expect(e.line).toBe(3)
  })

  it('the shipped card is valid', () => {
    expect(CardSchema.safeParse(JSON.parse(readFileSync(join(SHIPPED, 'card.json'), 'utf8'))).success).toBe(true)
  })

  it('ships calibrated to a 1% fraud rate: the served probability is far below the raw output where fraud is rare', async () => {
    const m = await Model.load(SHIPPED, SHIPPED_CATALOG)
    try {
      expect(m.card.calibration).toMatchObject({ method: 'isotonic', base_rate: 0.01 })
      expect(m.card.calibration!.fitted_rate).toBeGreaterThan(0.1)
      // trained where fraud is ~29% of traffic, a raw 0.5 is nowhere near an even chance at 1%
      expect(m.probability(0.5)!).toBeLessThan(0.1)
      // and the map keeps the order
      expect(m.probability(0.99)!).toBeGreaterThanOrEqual(m.probability(0.5)!)
      expect(m.probability(0.5)!).toBeGreaterThanOrEqual(m.probability(0.01)!)
      expect(m.drift).toBeDefined()
    } finally {
      await m.close()
    }
  })

  it('refuses a calibration whose knots go down, naming the card line', async () => {
    const d = copyModel()
    const card = JSON.parse(readFileSync(join(d, 'card.json'), 'utf8'))
    card.calibration.y = [...card.calibration.y].reverse()
    writeFileSync(join(d, 'card.json'), JSON.stringify(card, null, 2))
    const e = await loadError(d)
    expect(e.message).toMatch(/calibration.*non-decreasing/)
    expect(e.line).toBe(readFileSync(join(d, 'card.json'), 'utf8').split('\n').findIndex((l) => l.includes('"calibration"')) + 1)
  })
})

describe('trainer and export', () => {
  const r = new Rng(7)
  const rows = Array.from({ length: 400 }, () => Float32Array.from([r.exp(3), r.chance(0.5) ? 1 : 0, r.exp(1)]))
  const labels = Uint8Array.from(rows, (x) => (x[0]! + 2 * x[1]! > 4 ? 1 : 0))

  it('is deterministic: same data, same bytes', () => {
    const a = exportLinearOnnx(trainLogistic(rows, labels, { iterations: 50, learningRate: 0.5, l2: 1e-3 }), { version: 't', doc: 't' })
    const b = exportLinearOnnx(trainLogistic(rows, labels, { iterations: 50, learningRate: 0.5, l2: 1e-3 }), { version: 't', doc: 't' })
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
  })

  it('learns the direction of the signal', () => {
    const m = trainLogistic(rows, labels, { iterations: 200, learningRate: 0.5, l2: 1e-3 })
    expect(m.weights[0]).toBeGreaterThan(0)
    expect(m.weights[1]).toBeGreaterThan(0)
    expect(Math.abs(m.weights[2]!)).toBeLessThan(Math.abs(m.weights[0]!))
  })
})
