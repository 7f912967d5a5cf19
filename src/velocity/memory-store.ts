import { Hll } from './hll.js'
import { PENDING_PREFIX, PENDING_TTL_MS, type Batch, type BatchResult, type Finalize, type VelocityStore } from './store.js'

/** HyperLogLog slices per window past the distinct cap, as in counters.lua */
const HLL_SLICES = 6

function sketch(approx: Map<string, Hll>, windowMs: number, t: number): Hll {
  const k = `${windowMs}:${Math.floor(t / (windowMs / HLL_SLICES))}`
  let h = approx.get(k)
  if (!h) approx.set(k, (h = new Hll()))
  return h
}

interface Entry<T> {
  value: T
  expiresAt: number
  /** distinct keys past their cap: sketches by `${windowMs}:${slice}` */
  approx?: Map<string, Hll>
  /** count keys: the running sum of the buckets in the window, and the oldest bucket counted */
  sum?: number
  oldest?: number
}

/**
 * The embedded store: same semantics as the Redis scripts, for a single process (development, replay,
 * training). Expiry follows the batch clock, not the wall clock, so replays in event time age keys
 * exactly as live traffic would. Expired keys are swept incrementally, a few per batch, so memory stays
 * bounded without a stop-the-world pass over every key.
 */
export class MemoryStore implements VelocityStore {
  readonly kind = 'memory' as const
  private strings = new Map<string, Entry<string>>()
  private counts = new Map<string, Entry<Map<number, number>>>()
  private sets = new Map<string, Entry<Map<string, number>>>()
  private lastNow = 0
  private cursors: Iterator<[string, Entry<unknown>]>[] = []

  /** @param sweepPerBatch keys examined for expiry per batch, per map */
  constructor(private readonly sweepPerBatch = 8) {}

  private live<T>(m: Map<string, Entry<T>>, key: string, now: number): Entry<T> | undefined {
    const e = m.get(key)
    if (e && e.expiresAt <= now) {
      m.delete(key)
      return undefined
    }
    return e
  }

  async execute(b: Batch): Promise<BatchResult> {
    const now = b.now
    this.lastNow = Math.max(this.lastNow, now)
    this.sweepSome(now)
    const existing = this.live(this.strings, b.idempotencyKey, now)
    if (existing) {
      if (existing.value.startsWith(PENDING_PREFIX)) return { status: 'in_flight' }
      return { status: 'replayed', stored: existing.value }
    }
    this.strings.set(b.idempotencyKey, { value: PENDING_PREFIX + b.nonce, expiresAt: now + Math.min(b.idempotencyTtlMs, PENDING_TTL_MS) })

    let account: string | null = null
    if (b.account) {
      let e = this.live(this.strings, b.account.key, now)
      if (!e && b.account.setIfAbsent !== '') {
        e = { value: b.account.setIfAbsent, expiresAt: now + b.account.ttlMs }
        this.strings.set(b.account.key, e)
      }
      account = e?.value ?? null
    }

    const values: number[] = []
    for (const op of b.ops) {
      if (op.kind === 'count') {
        // Same algorithm as counters.lua, per window: a running sum and the oldest bucket counted.
        for (const windowMs of op.windowsMs) values.push(this.slide(`${op.key}\u0000${windowMs}`, now, op.add, windowMs, windowMs / op.buckets))
      } else {
        const longest = Math.max(...op.windowsMs)
        let e = this.live(this.sets, op.key, now)
        if (e) for (const [m, t] of e.value) if (t <= now - longest) e.value.delete(m)
        if (op.member !== '') {
          if (!e) {
            e = { value: new Map(), expiresAt: 0 }
            this.sets.set(op.key, e)
          }
          // Re-insert so that Map order is recency order: the first entry is the oldest, cheap to drop.
          e.value.delete(op.member)
          e.value.set(op.member, now)
          if (e.value.size > op.cap && !e.approx) {
            // Same as counters.lua: past the cap for the first time, seed sketches with every member held.
            e.approx = new Map()
            for (const w of op.windowsMs) for (const [m, t] of e.value) sketch(e.approx, w, t).add(m)
          } else if (e.approx) {
            for (const w of op.windowsMs) sketch(e.approx, w, now).add(op.member)
          }
          while (e.value.size > op.cap) {
            const first = e.value.keys().next()
            if (first.done) break
            e.value.delete(first.value)
          }
          e.expiresAt = now + longest
        }
        for (const w of op.windowsMs) {
          let n = 0
          if (e) for (const t of e.value.values()) if (t > now - w) n++
          if (e?.approx && n >= op.cap) {
            // As counters.lua: the oldest slice counts in proportion to its overlap with the window.
            const slice = w / HLL_SLICES
            const start = now - w + 1
            const from = Math.floor(start / slice)
            const to = Math.floor(now / slice)
            const inner: Hll[] = []
            let oldest: Hll | undefined
            for (const [k, h] of e.approx) {
              const [kw, ks] = k.split(':').map(Number) as [number, number]
              if (kw !== w) continue
              if (ks < from) e.approx.delete(k)
              else if (ks === from) oldest = h
              else if (ks <= to) inner.push(h)
            }
            const innerCount = Hll.count(inner)
            const all = oldest ? Hll.count([oldest, ...inner]) : innerCount
            const share = ((from + 1) * slice - start) / slice
            n = Math.max(n, Math.floor(innerCount + share * Math.max(0, all - innerCount) + 0.5))
          }
          values.push(n)
        }
      }
    }
    if (b.peek?.length) return { status: 'fresh', account, values, peeked: b.peek.map((k) => this.live(this.strings, k, now)?.value ?? null) }
    return { status: 'fresh', account, values }
  }

  /** One window of a count: slide it to `now`, add, return the sum. */
  private slide(key: string, now: number, add: number, windowMs: number, bucketMs: number): number {
    const bucket = Math.floor(now / bucketMs)
    const width = Math.floor(windowMs / bucketMs)
    const oldest = bucket - width + 1
    let e = this.live(this.counts, key, now)
    let sum = e?.sum ?? 0
    let o = e?.oldest
    if (e && o !== undefined && o < oldest) {
      if (oldest - o >= width) {
        this.counts.delete(key)
        e = undefined
        sum = 0
      } else {
        for (let b = o; b < oldest; b++) {
          const v = e.value.get(b)
          if (v !== undefined) {
            sum -= v
            e.value.delete(b)
          }
        }
      }
    }
    o = oldest > (o ?? oldest) ? oldest : (o ?? oldest)
    if (add > 0) {
      if (!e) {
        e = { value: new Map(), expiresAt: 0, sum: 0, oldest: o }
        this.counts.set(key, e)
      }
      e.value.set(bucket, (e.value.get(bucket) ?? 0) + add)
      sum += add
      e.expiresAt = now + windowMs + bucketMs
    }
    if (e) {
      e.sum = sum
      e.oldest = o
    }
    return sum
  }

  async finalize(f: Finalize): Promise<void> {
    const now = this.lastNow
    this.strings.set(f.idempotencyKey, { value: f.response, expiresAt: now + f.idempotencyTtlMs })
    if (f.account) this.strings.set(f.account.key, { value: f.account.value, expiresAt: now + f.account.ttlMs })
  }

  async stored(key: string): Promise<string | null> {
    return this.live(this.strings, key, this.lastNow)?.value ?? null
  }

  async ping(): Promise<boolean> {
    return true
  }

  async close(): Promise<void> {
    this.strings.clear()
    this.counts.clear()
    this.sets.clear()
  }

  /** Every key currently held (for inspection and tests; the Redis equivalent is SCAN). */
  keys(): string[] {
    return [...this.strings.keys(), ...this.counts.keys(), ...this.sets.keys()]
  }

  /** Every key and value held, as text (for inspection and the tests that look for raw identifiers). */
  dump(): string[] {
    const out: string[] = []
    for (const [k, e] of this.strings) out.push(k, e.value)
    for (const [k, e] of this.counts) out.push(k, [...e.value.keys()].join(' '))
    for (const [k, e] of this.sets) out.push(k, [...e.value.keys()].join(' '))
    return out
  }

  /** Keys currently held, for tests of expiry and memory bounds. */
  keyCount(): number {
    return this.strings.size + this.counts.size + this.sets.size
  }

  private sweepSome(now: number): void {
    const maps = [this.strings, this.counts, this.sets] as Map<string, Entry<unknown>>[]
    for (let m = 0; m < maps.length; m++) {
      let it = this.cursors[m]
      for (let i = 0; i < this.sweepPerBatch; i++) {
        if (!it) it = maps[m]!.entries()
        const next = it.next()
        if (next.done) {
          it = undefined
          break
        }
        // Deleting the current entry while iterating a Map is safe; iteration continues with the next.
        if (next.value[1].expiresAt <= now) maps[m]!.delete(next.value[0])
      }
      this.cursors[m] = it!
    }
  }
}
