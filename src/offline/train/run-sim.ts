import type { ScoreResponse } from '../../events/schemas.js'
import { replay } from '../replay/replay.js'
import type { SimEvent } from '../sim/simulate.js'
import type { Model } from '../../model/model.js'

/** Simulated events through the real pipeline (replay, fresh counters, event time), with their responses. */
export async function runSimulated(events: SimEvent[], model: Model | null, rulesDir: string, label = 'scoring simulated traffic'): Promise<{ event: SimEvent; response: ScoreResponse }[]> {
  const rows: { event: SimEvent; response: ScoreResponse }[] = []
  let i = 0
  for await (const r of replay(events.map((e) => JSON.stringify(e)), { rules: rulesDir, model, explain: true, progress: { label, total: events.length } })) {
    if (!r.ok) throw new Error(`simulated event failed validation: ${r.error.message}`)
    rows.push({ event: events[i++]!, response: r.response })
  }
  return rows
}
