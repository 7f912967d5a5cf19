import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ScoreResponse } from '../events/schemas.js'
import type { LearningStats } from '../learning/store.js'
import type { DriftReading } from '../model/drift.js'

/**
 * Prometheus metrics. Shadow rules are counted beside enforced ones, so a team can watch a new rule's
 * hit rate on live traffic before enforcing it. One registry per app keeps tests independent.
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly decisions = new Counter({ name: 'bouncer_decisions_total', help: 'Decisions by door and outcome', labelNames: ['event', 'decision'], registers: [this.registry] })
  private readonly ruleHits = new Counter({ name: 'bouncer_rule_hits_total', help: 'Rule matches by rule and mode (enforce or shadow)', labelNames: ['rule', 'mode'], registers: [this.registry] })
  private readonly degraded = new Counter({ name: 'bouncer_degraded_total', help: 'Decisions made without a part (velocity, model)', labelNames: ['part'], registers: [this.registry] })
  /** requests refused with 503 + Retry-After, by why: in_flight (MAX_IN_FLIGHT), event_loop (MAX_EVENT_LOOP_DELAY_MS), shutting_down */
  private readonly shedTotal = new Counter({ name: 'bouncer_shed_total', help: 'Requests refused with 503 + Retry-After, by reason: in_flight (over MAX_IN_FLIGHT), event_loop (over MAX_EVENT_LOOP_DELAY_MS), shutting_down', labelNames: ['reason'], registers: [this.registry] })
  private readonly http = new Counter({ name: 'bouncer_http_requests_total', help: 'HTTP requests answered, by route (the router pattern; "unmatched" for unknown paths), method and status', labelNames: ['route', 'method', 'status'], registers: [this.registry] })
  private readonly httpDuration = new Histogram({
    name: 'bouncer_http_request_duration_seconds',
    help: 'Time from the request arriving to its answer being written, by route',
    labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  })
  private readonly stages = new Histogram({
    name: 'bouncer_stage_duration_seconds',
    help: 'Time a scored event waited on the velocity store (one round trip to Redis, or memory) and on the model (its batch included)',
    labelNames: ['stage'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  })
  private readonly replayed = new Counter({ name: 'bouncer_replayed_total', help: 'Stored decisions returned for a repeated event_id', registers: [this.registry] })
  private readonly latency = new Histogram({
    name: 'bouncer_score_duration_seconds',
    help: 'Scoring time inside the service (parse to reply)',
    labelNames: ['event'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  })

  constructor() {
    collectDefaultMetrics({ register: this.registry })
  }

  shed(reason: 'in_flight' | 'event_loop' | 'shutting_down'): void {
    this.shedTotal.inc({ reason })
  }

  request(route: string | undefined, method: string, status: number, seconds: number): void {
    const r = route ?? 'unmatched'
    this.http.inc({ route: r, method, status })
    this.httpDuration.observe({ route: r }, seconds)
  }

  readonly stage = (stage: 'velocity' | 'model', seconds: number): void => {
    this.stages.observe({ stage }, seconds)
  }

  /** the adaptive in-flight limit, read at scrape time */
  watchAdmission(limit: () => number): void {
    new Gauge({ name: 'bouncer_admission_limit', help: 'Scoring requests admitted at once now: MAX_IN_FLIGHT, lowered while the event loop is busier than ADMISSION_TARGET_UTILIZATION', registers: [this.registry], collect() { this.set(limit()) } })
  }

  /** What is running, read at scrape time: 1, labelled with the versions in force (they change on reload). */
  watchBuild(current: () => { version: string; rules_version: string; model_version: string }): void {
    new Gauge({ name: 'bouncer_build_info', help: 'The service version, rules revision and model in force (value 1)', labelNames: ['version', 'rules_version', 'model_version', 'node_version'], registers: [this.registry], collect() {
      this.reset()
      this.set({ ...current(), node_version: process.version }, 1)
    } })
  }

  /**
   * Drift of the model in force against its card's reference, read at scrape time: PSI of the raw score and of
   * the card's reference features over the last complete window (0.1: watch it; 0.25: the population moved).
   */
  watchDrift(current: () => { model: string; reading: DriftReading } | undefined): void {
    const registers = [this.registry]
    new Gauge({ name: 'bouncer_model_score_psi', help: 'PSI of the live model score against the card reference, last complete window', labelNames: ['model'], registers, collect() {
      this.reset()
      const c = current()
      if (c && c.reading.window > 0) this.set({ model: c.model }, c.reading.score_psi)
    } })
    new Gauge({ name: 'bouncer_model_feature_psi', help: 'PSI of a model feature against the card reference, last complete window', labelNames: ['model', 'feature'], registers, collect() {
      this.reset()
      const c = current()
      if (c && c.reading.window > 0) for (const [feature, v] of Object.entries(c.reading.features)) this.set({ model: c.model, feature }, v)
    } })
  }

  /** The learning store's queue, read at scrape time: records written, dropped (queue full) and waiting. */
  watchLearning(stats: () => LearningStats): void {
    const registers = [this.registry]
    new Counter({ name: 'bouncer_decision_records_written_total', help: 'Decision records written to the learning store', registers, collect() { this.reset(); this.inc(stats().written) } })
    new Counter({ name: 'bouncer_decision_records_dropped_total', help: 'Decision records dropped because the learning store was slow or down (queue full)', registers, collect() { this.reset(); this.inc(stats().dropped) } })
    new Gauge({ name: 'bouncer_decision_records_queued', help: 'Decision records waiting to be written', registers, collect() { this.set(stats().queued) } })
  }

  observe(r: ScoreResponse): void {
    if (r.replayed) {
      this.replayed.inc()
      return
    }
    this.decisions.inc({ event: r.event, decision: r.decision })
    for (const id of r.rules.matched) this.ruleHits.inc({ rule: id, mode: 'enforce' })
    for (const id of r.rules.shadow_matched) this.ruleHits.inc({ rule: id, mode: 'shadow' })
    for (const part of r.degraded) this.degraded.inc({ part })
    this.latency.observe({ event: r.event }, r.latency_ms / 1000)
  }
}
