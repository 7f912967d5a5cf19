import type { DecisionRecord, LabelRecord } from './record.js'

export interface LearningStats {
  /** records written to the store since start */
  written: number
  /** records dropped because the queue was full (the store slow or down) */
  dropped: number
  /** records waiting to be written */
  queued: number
  /** the last write failure, in words, until a write succeeds */
  lastError?: string | undefined
}

export interface Period {
  /** epoch ms, inclusive */
  from?: number | undefined
  /** epoch ms, exclusive */
  to?: number | undefined
}

/**
 * Where decision records and labels go, shared by every instance (Redis) or local to one (the file default).
 * Decision records leave the scoring path: `record` only queues, and a full queue drops and counts. A label is
 * a caller's explicit write, so `label` resolves once it is stored and rejects when it cannot be.
 */
export interface LearningStore {
  readonly kind: 'file' | 'redis'
  /** a description for logs: the file or the stream key */
  readonly where: string
  record(rec: DecisionRecord, schema: { fingerprint: string; names: readonly string[] }): void
  label(l: LabelRecord): Promise<void>
  decisions(period?: Period): AsyncIterable<DecisionRecord>
  labels(): AsyncIterable<LabelRecord>
  /** feature names by schema fingerprint */
  schemas(): Promise<Map<string, string[]>>
  stats(): LearningStats
  /** write what is queued */
  flush(): Promise<void>
  close(): Promise<void>
}

export interface QueueOptions {
  /** records held while the store is slow or down; past it new records are dropped and counted */
  maxQueue: number
  /** records per write */
  batch: number
  /** the longest a record waits in the queue before a write */
  intervalMs: number
}

/**
 * A record waits at most 20 ms: one that waits longer outlives two young-generation collections (every ~60 ms
 * at 2,000 events/s) and is copied into the old generation, ~1.8 KB a record, which only a full mark-compact
 * frees (bench/README.md, Service, item 27). 20 ms is 40 records a write at 2,000/s.
 */
export const DEFAULT_QUEUE: QueueOptions = { maxQueue: 20_000, batch: 500, intervalMs: 20 }

/**
 * The bounded queue in front of a store: records are written in batches, at most one write at a time; a
 * failed write puts its batch back in front (as far as the bound allows) and the next tick tries again, so an
 * outage costs the records that overflow, counted, never the scoring path's time.
 */
export class WriteQueue<T> {
  private q: T[] = []
  private writing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private failures = 0
  readonly stats: LearningStats = { written: 0, dropped: 0, queued: 0 }

  constructor(private readonly write: (batch: T[]) => Promise<void>, private readonly o: QueueOptions = DEFAULT_QUEUE) {}

  push(item: T): void {
    if (this.q.length >= this.o.maxQueue) {
      this.stats.dropped++
      return
    }
    this.q.push(item)
    this.stats.queued = this.q.length
    if (this.q.length >= this.o.batch) this.kick(0)
    else this.kick(this.o.intervalMs)
  }

  private kick(delayMs: number): void {
    if (this.writing) return
    if (this.timer) {
      if (delayMs > 0) return
      clearTimeout(this.timer)
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.drain()
    }, delayMs)
    this.timer.unref()
  }

  private drain(): Promise<void> {
    if (this.writing) return this.writing
    if (this.q.length === 0) return Promise.resolve()
    const batch = this.q.splice(0, this.o.batch)
    this.stats.queued = this.q.length
    this.writing = this.write(batch).then(
      () => {
        this.stats.written += batch.length
        this.stats.lastError = undefined
        this.failures = 0
      },
      (err: unknown) => {
        this.stats.lastError = err instanceof Error ? err.message : String(err)
        this.failures++
        const room = Math.max(0, this.o.maxQueue - this.q.length)
        this.stats.dropped += Math.max(0, batch.length - room)
        this.q.unshift(...batch.slice(0, room))
        this.stats.queued = this.q.length
      },
    )
    return this.writing.finally(() => {
      this.writing = undefined
      // back off while the store fails: 0.2 s, 0.4 s, … up to 5 s
      if (this.q.length > 0) this.kick(this.failures === 0 ? (this.q.length >= this.o.batch ? 0 : this.o.intervalMs) : Math.min(5000, this.o.intervalMs * 2 ** this.failures))
    })
  }

  /** Write everything queued now; resolves when the queue is empty or a write failed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    for (;;) {
      if (this.writing) await this.writing.catch(() => {})
      if (this.q.length === 0) return
      const before = this.stats.written
      await this.drain()
      if (this.stats.written === before) return
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}
