import { z } from 'zod'
import { Calibration } from './calibration.js'
import { Reference } from './drift.js'

export const CardSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  version: z.string().min(1),
  kind: z.enum(['logistic_regression', 'gbt']),
  created_by: z.string(),
  features: z.array(z.string()).min(1),
  onnx: z.object({
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    input: z.string(),
    /** a float tensor [N] or [N, 1] of fraud probabilities, or a converter's [N, 2] class probabilities */
    output: z.string(),
    /** with [N, 2] probabilities: the fraud class's column (default 1, the converters' order for labels [0, 1]) */
    output_column: z.number().int().min(0).optional(),
  }),
  thresholds: z
    .object({ challenge: z.number().min(0).max(100), review: z.number().min(0).max(100), deny: z.number().min(0).max(100) })
    .refine((t) => t.challenge <= t.review && t.review <= t.deny, 'thresholds must be challenge <= review <= deny'),
  /** the linear form, for per-feature attributions: z = (log1p(max(x,0)) - mean) / scale, logit = w·z + b */
  linear: z.object({ mean: z.array(z.number()), scale: z.array(z.number()), weights: z.array(z.number()), bias: z.number() }).optional(),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  /** the map from the raw probability to one at the storefront's fraud rate (`probability` in responses) */
  calibration: Calibration.optional(),
  /** the score and feature distribution drift is measured against */
  reference: Reference.optional(),
})
export type Card = z.infer<typeof CardSchema>

/** The score thresholds of a decision (0–100), from the model's card. */
export interface Thresholds {
  challenge: number
  review: number
  deny: number
}

/** Without a model (or before one is loaded) the score is the rules' alone, against these. */
export const DEFAULT_THRESHOLDS: Thresholds = { challenge: 60, review: 80, deny: 95 }
