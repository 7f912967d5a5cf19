import { vectorize, type Attribution } from '../../model/model.js'
import type { ScoringEvent } from '../event.js'

export interface ModelOutcome {
  /** null when there is no model or it failed (then `degraded` names it) */
  probability: number | null
  /** the top contributions, computed only if a reason needs them */
  attributions: () => Attribution[]
}

const NONE = (): Attribution[] => []

/** Stage 4: the model's fraud probability on the features in its card's order (micro-batched across requests). */
export async function model(ev: ScoringEvent, onError?: (where: string, err: unknown) => void): Promise<ModelOutcome> {
  const m = ev.policy.model
  if (!m) {
    ev.degraded.push('model')
    return { probability: null, attributions: NONE }
  }
  try {
    const vec = vectorize(m.card.features, ev.features)
    const probability = await m.predict(vec)
    m.drift?.observe(probability, vec)
    ev.features['model.score'] = Math.round(probability * 1e6) / 1e6
    return { probability, attributions: () => m.explain(vec) }
  } catch (err) {
    ev.degraded.push('model')
    onError?.('model', err)
    return { probability: null, attributions: NONE }
  }
}
