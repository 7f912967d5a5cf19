import { createHash } from 'node:crypto'
import { z } from 'zod'
import { Decision } from '../events/schemas.js'
import type { Catalog } from '../features/catalog.js'
import type { Features } from '../features/extract.js'

/**
 * What a scored event leaves for training and backtests: no identifier (the event id is hashed as in the
 * decision log), the decision as served, the rules' own part of it (so a candidate model can be replayed on
 * the record without the counters), and every number the model could read, as they were at decision time.
 */
export const DecisionRecord = z.object({
  decision_id: z.string(),
  event_id_hash: z.string(),
  /** when it was scored (ISO 8601, the service clock) */
  at: z.string(),
  event: z.enum(['registration', 'login', 'coupon_claim']),
  decision: Decision,
  score: z.number(),
  rules_version: z.string(),
  /** the most severe enforcing rule's action ('allow' when none matched), and whether an allow-list rule matched */
  rules_action: Decision,
  allow_listed: z.boolean(),
  /** the matching enforcing rules' score points, added to the model's probability × 100 */
  rules_score: z.number(),
  model: z.string().nullable(),
  model_score: z.number().nullable(),
  challenger: z.object({ model: z.string(), score: z.number(), decision: Decision }).optional(),
  degraded: z.array(z.string()),
  /** the fingerprint of the feature names the vector follows (see VectorSchema) */
  schema: z.string(),
  /** float32 little-endian, base64: one value per schema feature, booleans as 0/1, absent as 0 */
  vector: z.string(),
})
export type DecisionRecord = z.infer<typeof DecisionRecord>

export const LabelRecord = z.object({
  event_id_hash: z.string(),
  label: z.enum(['fraud', 'legit']),
  source: z.string(),
  received_at: z.string(),
})
export type LabelRecord = z.infer<typeof LabelRecord>

/**
 * The names a record's vector follows: every number and boolean the rules revision computes except the
 * model's own output, in catalog order. Wider than any one model's input, so a retrained model may use a
 * feature today's leaves out; stored once per fingerprint, not per record.
 */
export class VectorSchema {
  readonly fingerprint: string
  private constructor(readonly names: readonly string[]) {
    this.fingerprint = createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 16)
  }

  static of(names: readonly string[]): VectorSchema {
    return new VectorSchema(names)
  }

  static forCatalog(catalog: Catalog): VectorSchema {
    return new VectorSchema(catalog.features.filter((f) => f.type !== 'string' && f.name !== 'model.score').map((f) => f.name))
  }

  encode(flat: Features): string {
    const out = new Float32Array(this.names.length)
    for (let i = 0; i < out.length; i++) {
      const v = flat[this.names[i]!]
      out[i] = typeof v === 'number' ? v : v === true ? 1 : 0
    }
    return Buffer.from(out.buffer).toString('base64')
  }
}

export function decodeVector(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64')
  // copy: a Buffer from base64 may sit at an offset that is not a multiple of 4 in a shared pool
  const out = new Float32Array(buf.length / 4)
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4)
  return out
}

/**
 * The columns `names` picked out of vectors laid out by `schema`. Throws naming the first feature the
 * schema lacks: a model cannot be trained on a number that was not recorded.
 */
export function projector(schema: readonly string[], names: readonly string[]): (v: Float32Array) => Float32Array {
  const at = new Map(schema.map((n, i) => [n, i]))
  const idx = names.map((n) => {
    const i = at.get(n)
    if (i === undefined) throw new Error(`the stored records do not carry feature \`${n}\` (their schema has ${schema.length} features)`)
    return i
  })
  return (v) => Float32Array.from(idx, (i) => v[i]!)
}
