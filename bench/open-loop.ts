import { performance } from 'node:perf_hooks'
import { progress } from '../src/util/progress.js'

export interface OpenLoopResult {
  requests: number
  errors: number
  seconds: number
  /** latency of each request in ms, from its scheduled send time */
  latencies: Float64Array
  /** how late each request left the sender, in ms: part of its latency, owed to the sender, not the target */
  lag: Float64Array
}

/**
 * Open-loop load: request k is due at t0 + k/rate and its latency counts from that due time, so a stalled
 * target shows up in the numbers instead of slowing the sender (no coordinated omission).
 * The sender sleeps on timers between sends rather than spinning: a busy loop would take a whole core from
 * the service and Redis it shares the machine with. Timers wake up to ~1 ms late; requests then leave in
 * small bursts, and the lateness counts against the target (reported apart as `lag`), never in its favour.
 */
export async function openLoop(rate: number, seconds: number, send: (k: number) => Promise<unknown>, label = `open loop at ${rate}/s`): Promise<OpenLoopResult> {
  const total = Math.round(rate * seconds)
  // answers received, on stderr when it is a terminal
  const shown = progress(label, total)
  const latencies = new Float64Array(total)
  const lag = new Float64Array(total)
  let sent = 0
  let errors = 0
  const inflight: Promise<void>[] = []
  const t0 = performance.now() + 20
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now()
      while (sent < total && t0 + (sent * 1000) / rate <= now) {
        const k = sent++
        const due = t0 + (k * 1000) / rate
        lag[k] = now - due
        inflight.push(
          send(k).then(
            () => void ((latencies[k] = performance.now() - due), shown.tick()),
            () => void ((latencies[k] = performance.now() - due), errors++, shown.tick()),
          ),
        )
      }
      if (sent >= total) return resolve()
      setTimeout(tick, Math.max(0, t0 + (sent * 1000) / rate - performance.now() - 0.5))
    }
    tick()
  })
  await Promise.all(inflight)
  shown.done()
  return { requests: total, errors, seconds: (performance.now() - t0) / 1000, latencies, lag }
}

/** p50 … max of a set of latencies, in ms rounded to µs. */
export function percentiles(xs: ArrayLike<number>): { p50: number; p90: number; p99: number; p99_9: number; max: number } {
  const s = Array.from(xs).sort((a, b) => a - b)
  const q = (p: number) => Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! * 1000) / 1000
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99), p99_9: q(0.999), max: q(1) }
}

/**
 * Requests bucketed by the second of the schedule they were due in, each second with its count, how many
 * were flagged (refused, failed) and its latency percentiles: a start-up transient and a steady state read
 * differently.
 */
export function perSecond(n: number, secondOf: (i: number) => number, latencies: ArrayLike<number>, flagged: (i: number) => boolean): { second: number; requests: number; flagged: number; latency_ms: ReturnType<typeof percentiles> }[] {
  const buckets: number[][] = []
  for (let i = 0; i < n; i++) (buckets[secondOf(i)] ??= []).push(i)
  return Array.from(buckets, (idx = [], second) => ({ second, requests: idx.length, flagged: idx.filter(flagged).length, latency_ms: percentiles(idx.map((i) => latencies[i]!)) }))
}
