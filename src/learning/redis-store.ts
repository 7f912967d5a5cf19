import { readFileSync } from 'node:fs'
import { Cluster, Redis, type ClusterNode } from 'ioredis'
import { evalshaEncoded, scriptSha } from '../util/resp.js'
import { inPeriod } from './read.js'
import { DecisionRecord, LabelRecord } from './record.js'
import { DEFAULT_QUEUE, WriteQueue, type LearningStats, type LearningStore, type Period, type QueueOptions } from './store.js'

export interface RedisLearningOptions {
  /** key prefix (REDIS_PREFIX) */
  prefix: string
  /** decision records kept (approximate trimming, MAXLEN ~): the stream's memory bound */
  maxLen: number
  queue?: QueueOptions
}

type Append = (key: string, maxLen: string, ...records: string[]) => Promise<number>
type Client = (Redis | Cluster) & { learnAppend: Append }

/** The append script (lua/append.lua), called by SHA. */
export const APPEND_SCRIPT = readFileSync(new URL('./lua/append.lua', import.meta.url), 'utf8')
/**
 * Records per call: a script holds Redis while it runs, so a batch is split into calls of at most this many
 * XADDs; 50 (~60 KB) also keeps a call's bytes under V8's 128 KB limit for young-generation objects.
 */
const PER_CALL = 50
const APPEND_SHA = scriptSha(APPEND_SCRIPT)

const MARGIN_MS = 3_600_000

/**
 * Decision records and labels in Redis Streams, on the Redis the counters already use, so every instance
 * writes to one place and a training run reads one place. A stream's ids are its entries' times, so a period
 * is an XRANGE. The three keys share one hash tag: on a Cluster they live on one node.
 *
 * Its own connection, with an offline queue: a write may wait for a reconnect, which the counters' client
 * (fail fast, 25 ms) must never do.
 */
export class RedisLearningStore implements LearningStore {
  readonly kind = 'redis'
  readonly where: string
  private readonly client: Client
  private readonly queue: WriteQueue<{ rec: DecisionRecord; schema: { fingerprint: string; names: readonly string[] } }>
  private readonly keys: { decisions: string; labels: string; schemas: string }
  private readonly known = new Set<string>()

  constructor(target: string | { cluster: ClusterNode[] }, private readonly o: RedisLearningOptions) {
    const tag = `${o.prefix}{learn}`
    this.keys = { decisions: `${tag}:decisions`, labels: `${tag}:labels`, schemas: `${tag}:schemas` }
    this.where = `Redis stream ${this.keys.decisions}`
    const base = { maxRetriesPerRequest: 2, connectTimeout: 2000, retryStrategy: (times: number) => Math.min(times * 200, 5000) }
    this.client = (typeof target === 'string' ? new Redis(target, base) : new Cluster(target.cluster, { redisOptions: base })) as Client
    // failures surface per write (the queue keeps the last one for stats); this only keeps ioredis quiet
    this.client.on('error', () => {})
    this.client.defineCommand('learnAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT })
    this.queue = new WriteQueue((batch) => this.write(batch), o.queue ?? DEFAULT_QUEUE)
    // the append goes by SHA alone on a single node: loaded whenever the connection is (re)established
    if (this.client instanceof Redis) this.client.on('ready', () => void (this.client as Redis).script('LOAD', APPEND_SCRIPT).catch(() => {}))
  }

  private async write(batch: { rec: DecisionRecord; schema: { fingerprint: string; names: readonly string[] } }[]): Promise<void> {
    const calls: Promise<unknown>[] = []
    const fresh: string[] = []
    for (const { schema } of batch) {
      if (this.known.has(schema.fingerprint) || fresh.includes(schema.fingerprint)) continue
      fresh.push(schema.fingerprint)
      calls.push(this.client.hset(this.keys.schemas, schema.fingerprint, JSON.stringify(schema.names)))
    }
    // one script call per PER_CALL records instead of one XADD each (npm run bench:learning)
    const maxLen = String(this.o.maxLen)
    for (let i = 0; i < batch.length; i += PER_CALL) calls.push(this.append(maxLen, batch.slice(i, i + PER_CALL).map((b) => JSON.stringify(b.rec))))
    await Promise.all(calls)
    for (const f of fresh) this.known.add(f)
  }

  /**
   * One append call. On a single node its bytes are built in one pass (util/resp.ts), as the counters'
   * call is: a call ioredis builds itself kept its ~50 KB command string alive into V8's old generation, which
   * only a full mark-compact frees. At 2,000 events/s that was one mark-compact every 2-3 s, each a 50-80 ms
   * latency episode for every request in flight (bench/README.md, Service, item 27).
   */
  private append(maxLen: string, recs: string[]): Promise<unknown> {
    const client = this.client
    if (!(client instanceof Redis)) return client.learnAppend(this.keys.decisions, maxLen, ...recs)
    return evalshaEncoded(client, APPEND_SHA, [[1, this.keys.decisions, maxLen], recs], () => client.learnAppend(this.keys.decisions, maxLen, ...recs))
  }

  record(rec: DecisionRecord, schema: { fingerprint: string; names: readonly string[] }): void {
    this.queue.push({ rec, schema })
  }

  async label(l: LabelRecord): Promise<void> {
    await this.client.xadd(this.keys.labels, '*', 'r', JSON.stringify(l))
  }

  async *decisions(period: Period = {}): AsyncIterable<DecisionRecord> {
    // Stream ids are the Redis server's clock at the write, seconds after `at`: the range is read with an
    // hour's margin and filtered on the record's own time.
    const wide = { from: period.from !== undefined ? Math.max(0, period.from - MARGIN_MS) : undefined, to: period.to !== undefined ? period.to + MARGIN_MS : undefined }
    for await (const rec of this.range(this.keys.decisions, wide, (j) => DecisionRecord.parse(j))) {
      if (inPeriod(rec, period)) yield rec
    }
  }

  async *labels(): AsyncIterable<LabelRecord> {
    yield* this.range(this.keys.labels, {}, (j) => LabelRecord.parse(j))
  }

  private async *range<T>(key: string, period: Period, parse: (j: unknown) => T): AsyncIterable<T> {
    let start = period.from !== undefined ? String(period.from) : '-'
    const end = period.to !== undefined ? `(${period.to}` : '+'
    for (;;) {
      const page = await this.client.xrange(key, start, end, 'COUNT', 1000)
      for (const [, fields] of page) yield parse(JSON.parse(fields[1]!))
      if (page.length < 1000) return
      start = `(${page[page.length - 1]![0]}`
    }
  }

  async schemas(): Promise<Map<string, string[]>> {
    const h = await this.client.hgetall(this.keys.schemas)
    return new Map(Object.entries(h).map(([k, v]) => [k, JSON.parse(v) as string[]]))
  }

  stats(): LearningStats {
    return { ...this.queue.stats }
  }

  flush(): Promise<void> {
    return this.queue.flush()
  }

  async close(): Promise<void> {
    await this.flush()
    this.queue.stop()
    this.client.disconnect()
  }
}
