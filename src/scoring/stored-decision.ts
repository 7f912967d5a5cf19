import { DECISION_ORDER, SEVERITY, type Reason, type ScoreResponse } from '../events/schemas.js'

/**
 * The record an answered event leaves under its idempotency key, for IDEMPOTENCY_TTL_S: what a retry must get
 * back, and nothing it can be given from the retry itself. Kept for a day at thousands of events a second, so
 * every byte counts: a positional array instead of the response's keys; `event_id` and `event` come from the
 * retry (whose id is the key); `replayed` and `latency_ms` are the retry's own; the rules revision's sha256 and
 * a live decision id's UUID are stored as base64url. The replay is byte-for-byte the first answer otherwise,
 * whatever rules or model have been reloaded since: nothing is looked up from the current policy.
 * `npm run bench:idempotency` measures it (2026-12-03: 175 bytes of value against 471 as a JSON object).
 *
 * A record written by an older version (a JSON object) still decodes, so a rolling deploy keeps its retries.
 */
export type Stored = Omit<ScoreResponse, 'event_id' | 'event' | 'replayed' | 'latency_ms' | 'features'>

const FORMAT = 2
const SHA256 = /^sha256:([0-9a-f]{64})$/
const UUID_ID = /^dec_([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/

// a packed value starts with one of these, which neither a hex digest nor "dec_" can
const HEX_MARK = '#'
const UUID_MARK = '~'

const packVersion = (v: string) => {
  const m = SHA256.exec(v)
  return m ? HEX_MARK + Buffer.from(m[1]!, 'hex').toString('base64url') : v
}
const unpackVersion = (v: string) => (v.startsWith(HEX_MARK) ? `sha256:${Buffer.from(v.slice(1), 'base64url').toString('hex')}` : v)

const packId = (id: string) => {
  const m = UUID_ID.exec(id)
  return m ? UUID_MARK + Buffer.from(m.slice(1).join(''), 'hex').toString('base64url') : id
}
const unpackId = (id: string) => {
  if (!id.startsWith(UUID_MARK)) return id
  const h = Buffer.from(id.slice(1), 'base64url').toString('hex')
  return `dec_${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

type PackedReason = [code: string, rule: string, action: number, detail?: string]
type PackedModel = [id: string, version: string, score: number, probability?: number] | 0
type Packed = [format: number, rh: string, decisionId: string, decision: number, score: number, reasons: PackedReason[], model: PackedModel, rulesVersion: string, matched: string[], shadow: string[], degraded: string[]]

/** The stored record of `response`, with the hash of the request that produced it (`rh`, so a retry with another body is refused). */
export function encodeStored(r: ScoreResponse, rh: string): string {
  const reasons = r.reasons.map((x): PackedReason => {
    const action = x.action === undefined ? -1 : SEVERITY[x.action]
    return x.detail === undefined ? [x.code, x.rule, action] : [x.code, x.rule, action, x.detail]
  })
  const model: PackedModel = r.model === null ? 0 : r.model.probability === undefined ? [r.model.id, r.model.version, r.model.score] : [r.model.id, r.model.version, r.model.score, r.model.probability]
  const packed: Packed = [FORMAT, rh, packId(r.decision_id), SEVERITY[r.decision], r.score, reasons, model, packVersion(r.rules.version), r.rules.matched, r.rules.shadow_matched, r.degraded]
  return JSON.stringify(packed)
}

/** A stored record back as the answer's decided part, and the request hash it was decided for (absent in the oldest records). */
export function decodeStored(value: string): { stored: Stored; rh: string | undefined } {
  const v = JSON.parse(value) as unknown
  if (!Array.isArray(v)) {
    // a record from before the compact format: the response itself, with `rh`
    const { rh, event_id: _e, event: _t, replayed: _r, latency_ms: _l, features: _f, ...stored } = v as ScoreResponse & { rh?: string }
    return { stored, rh }
  }
  const [format, rh, id, decision, score, reasons, model, version, matched, shadow, degraded] = v as Packed
  if (format !== FORMAT) throw new Error(`stored decision in format ${String(format)}, this version reads ${FORMAT}`)
  return {
    rh,
    stored: {
      decision: DECISION_ORDER[decision]!,
      score,
      reasons: reasons.map(([code, rule, action, detail]) => {
        const x: Reason = { code, rule }
        if (action >= 0) x.action = DECISION_ORDER[action]!
        if (detail !== undefined) x.detail = detail
        return x
      }),
      model: model === 0 ? null : { id: model[0], version: model[1], score: model[2], ...(model[3] === undefined ? {} : { probability: model[3] }) },
      rules: { version: unpackVersion(version), matched, shadow_matched: shadow },
      degraded,
      decision_id: unpackId(id),
    },
  }
}
