import { decodeVector, projector, type DecisionRecord } from './record.js'
import type { LearningStore, Period } from './store.js'

/** Whether a record's own time falls in a period (from inclusive, to exclusive). */
export function inPeriod(rec: DecisionRecord, period: Period): boolean {
  const t = Date.parse(rec.at)
  return (period.from === undefined || t >= period.from) && (period.to === undefined || t < period.to)
}

/** Each event's label, the latest received winning (a review may overturn a report), and how many labels were read. */
export async function latestLabels(store: LearningStore): Promise<{ labels: Map<string, 'fraud' | 'legit'>; read: number }> {
  const latest = new Map<string, { label: 'fraud' | 'legit'; at: string }>()
  let read = 0
  for await (const l of store.labels()) {
    read++
    const prev = latest.get(l.event_id_hash)
    if (!prev || prev.at <= l.received_at) latest.set(l.event_id_hash, { label: l.label, at: l.received_at })
  }
  return { labels: new Map([...latest].map(([k, v]) => [k, v.label])), read }
}

/**
 * Reads records' vectors onto a model's features, whatever schema each record was stored with (one projection
 * per schema, made on first use). Throws naming a record whose schema the store does not describe.
 */
export async function vectorReader(store: LearningStore, features: readonly string[]): Promise<(rec: DecisionRecord) => Float32Array> {
  const schemas = await store.schemas()
  const cache = new Map<string, (v: Float32Array) => Float32Array>()
  return (rec) => {
    let p = cache.get(rec.schema)
    if (!p) {
      const names = schemas.get(rec.schema)
      if (!names) throw new Error(`decision ${rec.decision_id} uses vector schema ${rec.schema}, which the store does not describe`)
      p = projector(names, features)
      cache.set(rec.schema, p)
    }
    return p(decodeVector(rec.vector))
  }
}
