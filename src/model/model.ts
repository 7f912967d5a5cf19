import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { Catalog } from '../features/catalog.js'
import { unsourcedReason } from '../features/derived.js'
import type { Features } from '../features/extract.js'
import { calibrate } from './calibration.js'
import { DriftMonitor } from './drift.js'
import { CardSchema, type Card } from './card.js'
import { gbtContributions, predictGbt, type GbtModel } from './trees.js'
import { outputKind, readTreeEnsemble } from './onnx-read.js'

/** Rows per onnxruntime run when many requests are in flight. */
const MAX_BATCH = 64

export class ModelLoadError extends Error {
  constructor(public readonly file: string, public readonly line: number, message: string) {
    super(`${file}:${line} ${message}`)
    this.name = 'ModelLoadError'
  }
}

export interface Attribution {
  feature: string
  value: number
  /** contribution to the logit */
  contribution: number
}

export function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle)
  return i < 0 ? 1 : text.slice(0, i).split('\n').length
}

/**
 * Model features must be numbers or booleans the service computes (`model.score` is its own output), with
 * the velocity features declared by the rules revision's counters.yaml.
 */
export function checkFeatures(card: Pick<Card, 'features' | 'kind' | 'linear'>, catalog: Catalog): string | undefined {
  for (const f of card.features) {
    const def = catalog.index.get(f)
    const missing = catalog.unsourced.get(f)
    if (missing) return `the card names feature \`${f}\`, which ${unsourcedReason(missing)}`
    if (!def || f === 'model.score') return `the card names feature \`${f}\`, which the service does not compute${f.includes('_') ? ' (no counter in counters.yaml declares it)' : ''}`
    if (def.type === 'string') return `the card names feature \`${f}\`, which is a string; models take numbers and booleans`
  }
  if (card.kind === 'logistic_regression') {
    const l = card.linear
    if (!l) return 'a logistic_regression card needs `linear`'
    if (l.weights.length !== card.features.length || l.mean.length !== card.features.length || l.scale.length !== card.features.length) {
      return 'linear.weights, linear.mean and linear.scale must have one entry per feature'
    }
  }
  return undefined
}

/**
 * Rows that exercise a model at load: zeros, ones, and a spread of small and large values, the same every time
 * (no randomness at load).
 */
function probeRows(f: number): { rows: Float32Array; n: number } {
  const levels = [0, 1, 0.5, 2, 3, 5, 10, 30, 100, 1000, 1e5, 0.1]
  const n = 48
  const rows = new Float32Array(n * f)
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) rows[i * f + j] = i === 0 ? 0 : levels[(i * 7 + j * 13 + ((i * j) % 5)) % levels.length]!
  return { rows, n }
}

/** Feature vector in card order: booleans as 0/1, a missing feature as 0. */
export function vectorize(features: readonly string[], flat: Features, out = new Float32Array(features.length)): Float32Array {
  for (let i = 0; i < features.length; i++) {
    const v = flat[features[i]!]
    out[i] = typeof v === 'number' ? v : v === true ? 1 : 0
  }
  return out
}

/** How a model's reasons name its signals: path attributions weighted by the file's covers, by leaf counts, or none. */
export interface Explanations {
  kind: 'path' | 'path-uniform' | 'linear' | 'none'
  /** why they are approximate or absent */
  note?: string
}

export class Model {
  private constructor(
    readonly card: Card,
    readonly dir: string,
    private readonly session: ort.InferenceSession,
    /** the output's width: 1 for a probability per row, 2 for a converter's class probabilities */
    private readonly width: number,
    private readonly column: number,
    readonly explanations: Explanations,
    /** for tree models: the trees, read back from the ONNX file, for path attributions */
    private readonly gbt?: GbtModel,
  ) {
    this.drift = card.reference ? new DriftMonitor(card.reference, card.features) : undefined
  }

  /** live score and feature distribution against the card's reference (PSI per window) */
  readonly drift: DriftMonitor | undefined

  get id(): string {
    return this.card.id
  }
  get version(): string {
    return this.card.version
  }

  /** Load and verify a model directory: card schema, feature names, and the ONNX file's sha256. */
  static async load(dir: string, catalog: Catalog): Promise<Model> {
    const cardFile = join(dir, 'card.json')
    let text: string
    try {
      text = readFileSync(cardFile, 'utf8')
    } catch (err) {
      throw new ModelLoadError(cardFile, 1, `cannot read model card: ${(err as Error).message}`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message)
      throw new ModelLoadError(cardFile, m ? text.slice(0, Number(m[1])).split('\n').length : 1, `invalid JSON: ${(err as Error).message}`)
    }
    const parsed = CardSchema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      const key = String(issue.path[0] ?? '')
      throw new ModelLoadError(cardFile, key ? lineOf(text, `"${key}"`) : 1, `${issue.path.join('.')}: ${issue.message}`)
    }
    const card = parsed.data
    const bad = checkFeatures(card, catalog)
    if (bad) {
      const name = /`([^`]+)`/.exec(bad)?.[1]
      throw new ModelLoadError(cardFile, name ? lineOf(text, `"${name}"`) : lineOf(text, '"linear"'), bad)
    }
    const onnxFile = join(dir, card.onnx.file)
    let bytes: Buffer
    try {
      bytes = readFileSync(onnxFile)
    } catch (err) {
      throw new ModelLoadError(onnxFile, 1, `cannot read model: ${(err as Error).message}`)
    }
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (sha !== card.onnx.sha256) {
      throw new ModelLoadError(cardFile, lineOf(text, '"sha256"'), `onnx.sha256 does not match ${card.onnx.file} (file is ${sha})`)
    }
    const kind = outputKind(bytes, card.onnx.output)
    if (kind === 'sequence' || kind === 'map') {
      throw new ModelLoadError(
        cardFile,
        lineOf(text, '"output"'),
        `onnx.output \`${card.onnx.output}\` is a ${kind} (a ZipMap of class probabilities), which onnxruntime-node cannot return: convert with zipmap=False (onnxmltools: convert_lightgbm(model, ..., zipmap=False); skl2onnx: options={id(model): {"zipmap": False}}) and name the probabilities tensor`,
      )
    }
    let session: ort.InferenceSession
    try {
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' })
    } catch (err) {
      throw new ModelLoadError(onnxFile, 1, `onnxruntime rejected the model: ${(err as Error).message}`)
    }
    if (!session.inputNames.includes(card.onnx.input) || !session.outputNames.includes(card.onnx.output)) {
      await session.release()
      throw new ModelLoadError(cardFile, lineOf(text, '"input"'), `the model's inputs/outputs (${session.inputNames}/${session.outputNames}) do not match the card`)
    }
    // A probe batch says what the output looks like and that the model runs on the card's feature count.
    const f = card.features.length
    const probe = probeRows(f)
    let probeOut: ort.Tensor
    try {
      probeOut = (await session.run({ [card.onnx.input]: new ort.Tensor('float32', probe.rows, [probe.n, f]) }, [card.onnx.output]))[card.onnx.output]!
    } catch (err) {
      await session.release()
      throw new ModelLoadError(onnxFile, 1, `the model does not run on ${f} float features (the card's): ${(err as Error).message}`)
    }
    const width = probeOut.dims.length === 1 ? 1 : Number(probeOut.dims[1])
    if (probeOut.type !== 'float32' || probeOut.dims[0] !== probe.n || !(width === 1 || width === 2) || probeOut.dims.length > 2) {
      await session.release()
      throw new ModelLoadError(cardFile, lineOf(text, '"output"'), `onnx.output \`${card.onnx.output}\` is ${probeOut.type} [${probeOut.dims.join(', ')}] for ${probe.n} rows; it must be float32 [N], [N, 1] or [N, 2] (class probabilities)`)
    }
    const column = width === 2 ? (card.onnx.output_column ?? 1) : 0
    if (column >= width) {
      await session.release()
      throw new ModelLoadError(cardFile, lineOf(text, '"output_column"'), `onnx.output_column ${column} is past the output's ${width} columns`)
    }
    let gbt: GbtModel | undefined
    let explanations: Explanations = card.kind === 'logistic_regression' ? (card.linear ? { kind: 'linear' } : { kind: 'none', note: 'the card has no `linear` form' }) : { kind: 'none' }
    if (card.kind === 'gbt') {
      try {
        const read = readTreeEnsemble(bytes, f)
        // the trees read back must agree with onnxruntime, or their attributions would explain another model
        let worst = 0
        for (let i = 0; i < probe.n; i++) worst = Math.max(worst, Math.abs(predictGbt(read.model, probe.rows.subarray(i * f, (i + 1) * f)) - (probeOut.data as Float32Array)[i * width + column]!))
        if (worst > 1e-4) explanations = { kind: 'none', note: `the trees read back from the file disagree with onnxruntime by up to ${worst.toFixed(6)}` }
        else {
          gbt = read.model
          explanations = read.covers === 'hitrates' ? { kind: 'path' } : { kind: 'path-uniform', note: 'the file has no node covers (nodes_hitrates absent or all equal): each leaf counts once, so attribution sizes are approximate' }
        }
      } catch (err) {
        explanations = { kind: 'none', note: `the tree ensemble cannot be read for explanations: ${(err as Error).message}` }
      }
    }
    return new Model(card, dir, session, width, column, explanations, gbt)
  }

  /** Fraud probabilities for a batch of vectors laid out row by row. */
  async predictBatch(rows: Float32Array, n: number): Promise<Float32Array> {
    const input = new ort.Tensor('float32', rows, [n, this.card.features.length])
    const out = (await this.session.run({ [this.card.onnx.input]: input }, [this.card.onnx.output]))[this.card.onnx.output]!.data as Float32Array
    if (this.width === 1) return out
    const p = new Float32Array(n)
    for (let i = 0; i < n; i++) p[i] = out[i * this.width + this.column]!
    return p
  }

  private queue: { vector: Float32Array; resolve: (p: number) => void; reject: (e: unknown) => void }[] = []
  private flushScheduled = false

  /**
   * One event's probability. Calls made in the same turn of the event loop (concurrent requests) share
   * one onnxruntime run: the fixed cost of a run (tensors, the native call) is most of a single event's
   * 20–40 µs, and a tree ensemble scores a batch of 32 in about the time of 3 single rows (bench:model).
   * A lone request waits for nothing but the end of the current turn.
   */
  predict(vector: Float32Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ vector, resolve, reject })
      if (this.queue.length >= MAX_BATCH) this.flush()
      else if (!this.flushScheduled) {
        this.flushScheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  private flush(): void {
    this.flushScheduled = false
    const batch = this.queue
    if (batch.length === 0) return
    this.queue = []
    const width = this.card.features.length
    let rows: Float32Array
    if (batch.length === 1) rows = batch[0]!.vector
    else {
      rows = new Float32Array(batch.length * width)
      for (let i = 0; i < batch.length; i++) rows.set(batch[i]!.vector, i * width)
    }
    this.predictBatch(rows, batch.length).then(
      (out) => {
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve(out[i]!)
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err)
      },
    )
  }

  /** The raw probability at the card's base rate, when the card is calibrated. */
  probability(p: number): number | undefined {
    return this.card.calibration ? calibrate(this.card.calibration, p) : undefined
  }

  /** Every feature's signed contribution to the logit (path attributions, or the linear terms); undefined when the model cannot explain. */
  contributions(vector: Float32Array): Float64Array | undefined {
    if (this.gbt) return gbtContributions(this.gbt, vector)
    if (!this.card.linear) return undefined
    const { mean, scale, weights } = this.card.linear
    const out = new Float64Array(vector.length)
    for (let i = 0; i < vector.length; i++) out[i] = weights[i]! * ((Math.log1p(Math.max(vector[i]!, 0)) - mean[i]!) / scale[i]!)
    return out
  }

  /** Per-feature contributions to the logit, largest positive first. */
  explain(vector: Float32Array, top = 3): Attribution[] {
    const contrib = this.contributions(vector)
    if (!contrib) return []
    const out: Attribution[] = []
    for (let i = 0; i < vector.length; i++) if (contrib[i]! > 0) out.push({ feature: this.card.features[i]!, value: vector[i]!, contribution: contrib[i]! })
    out.sort((a, b) => b.contribution - a.contribution)
    return out.slice(0, top)
  }

  async close(): Promise<void> {
    await this.session.release()
  }
}
