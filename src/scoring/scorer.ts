import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { ScoreRequest, ScoreResponse } from '../events/schemas.js'
import type { Features } from '../features/extract.js'
import type { Policy } from '../policy/policy.js'
import type { Hasher } from '../util/hash.js'
import type { LearningStore } from '../learning/store.js'
import type { VelocityStore } from '../velocity/store.js'
import type { DecisionLog } from './decision-log.js'
import { decide } from './stages/decide.js'
import { derive } from './stages/derive.js'
import { extract } from './stages/extract.js'
import { model } from './stages/model.js'
import { persist } from './stages/persist.js'
import { learn, record } from './stages/record.js'
import { rules } from './stages/rules.js'
import { velocity } from './stages/velocity.js'

export { ConflictError } from './stages/velocity.js'

export interface ScorerDeps {
  store: VelocityStore
  /** the policy in force, read once per event */
  policy: () => Policy
  hash: Hasher
  idempotencyTtlMs: number
  /** live: the service clock; replay: each event's occurred_at, zero latency and derived decision ids */
  mode: 'live' | 'replay'
  /** degraded-velocity policy: the least severe decision such an event gets (default allow: decide on what is there) */
  degradedFloor?: 'allow' | 'challenge' | 'review'
  clock?: () => number
  log?: (line: DecisionLog) => void
  /** where decision records go for training and backtests (live mode) */
  learn?: LearningStore | undefined
  onError?: (where: string, err: unknown) => void
}

/** Time an event spent waiting on a stage that leaves the process or batches: the velocity store and the model. */
export type StageTimer = (stage: 'velocity' | 'model', seconds: number) => void

export interface ScoreOptions {
  explain?: boolean
}

/**
 * The scoring pipeline, framework-free: the HTTP layer, replay and training all call `score`, which runs
 * the stages in order, each once: extract → velocity → derive → model → rules → decide → persist → record.
 */
export class Scorer {
  private lastEventTime = 0
  private readonly clock: () => number
  private timer: StageTimer | undefined

  /** Report stage times (the HTTP layer's metrics); live mode only, where they are real. */
  timeStages(timer: StageTimer): void {
    if (this.d.mode === 'live') this.timer = timer
  }

  constructor(private readonly d: ScorerDeps) {
    this.clock = d.clock ?? Date.now
  }

  async score(req: ScoreRequest, opts: ScoreOptions = {}): Promise<ScoreResponse> {
    const t0 = performance.now()
    const { d } = this
    const live = d.mode === 'live'
    const ev = extract(req, d.policy(), this.eventTime(req), d.hash)
    const tv = this.timer ? performance.now() : 0
    const v = await velocity(ev, d.store, { idempotencyTtlMs: d.idempotencyTtlMs, nonce: live ? randomUUID() : req.event_id, onError: d.onError })
    this.timer?.('velocity', (performance.now() - tv) / 1000)
    if (v.status === 'replayed') {
      const s = v.stored
      // the first answer's key order, with the retry's own id, type, flag and latency
      const response: ScoreResponse = { event_id: req.event_id, event: req.event, decision: s.decision, score: s.score, reasons: s.reasons, model: s.model, rules: s.rules, degraded: s.degraded, replayed: true, latency_ms: this.latency(t0), decision_id: s.decision_id }
      record(ev, response, d.log)
      return response
    }
    const memo = derive(ev, v)
    const t2 = this.timer ? performance.now() : 0
    const m = await model(ev, d.onError)
    this.timer?.('model', (performance.now() - t2) / 1000)
    const o = rules(ev)
    const { response, challenger } = await decide(ev, m, o, {
      decisionId: live ? `dec_${randomUUID()}` : `dec_${d.hash('decision', req.event_id)}`,
      degradedFloor: d.degradedFloor ?? 'allow',
      challenger: d.log !== undefined || d.learn !== undefined,
      onError: d.onError,
    })
    const written = persist(ev, response, memo, d.store, { idempotencyTtlMs: d.idempotencyTtlMs, urgent: !live })
    if (!live) await written
    else written?.catch((err: unknown) => d.onError?.('finalize', err))
    if (opts.explain) response.features = sortedFeatures(ev.features)
    response.latency_ms = this.latency(t0)
    record(ev, response, d.log, challenger)
    learn(ev, response, o, d.learn, challenger)
    return response
  }

  private eventTime(req: ScoreRequest): number {
    if (this.d.mode === 'live') return this.clock()
    // Replay: the event's own time is the clock; an event without one inherits the previous event's.
    if (req.occurred_at !== undefined) this.lastEventTime = Date.parse(req.occurred_at)
    return this.lastEventTime
  }

  private latency(t0: number): number {
    return this.d.mode === 'replay' ? 0 : Math.round((performance.now() - t0) * 1000) / 1000
  }
}

function sortedFeatures(f: Features): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {}
  for (const k of Object.keys(f).sort()) out[k] = f[k]!
  return out
}
