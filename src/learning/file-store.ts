import { createReadStream, existsSync } from 'node:fs'
import { appendFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { inPeriod } from './read.js'
import { DecisionRecord, LabelRecord } from './record.js'
import { DEFAULT_QUEUE, WriteQueue, type LearningStats, type LearningStore, type Period, type QueueOptions } from './store.js'

/** One line of the decisions file: a record, or the feature names of a schema the records after it use. */
type Line = { schema: string; features: readonly string[] } | DecisionRecord

/**
 * The embedded default: NDJSON files on this machine's disk, one for decision records (with a schema line
 * before the first record that uses it) and one for labels. Good for one instance and for trying the loop
 * out; several instances need the Redis store, which they share.
 */
export class FileLearningStore implements LearningStore {
  readonly kind = 'file'
  readonly where: string
  private readonly queue: WriteQueue<Line>
  private readonly written = new Set<string>()
  private labelChain: Promise<void> = Promise.resolve()
  private dirs = new Set<string>()

  constructor(private readonly decisionsFile: string, private readonly labelsFile: string, o: QueueOptions = DEFAULT_QUEUE) {
    this.where = `${decisionsFile}, ${labelsFile}`
    this.queue = new WriteQueue((batch) => this.append(decisionsFile, batch.map((l) => JSON.stringify(l) + '\n').join('')), o)
  }

  private async append(file: string, text: string): Promise<void> {
    const dir = dirname(file)
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true })
      this.dirs.add(dir)
    }
    await appendFile(file, text, 'utf8')
  }

  record(rec: DecisionRecord, schema: { fingerprint: string; names: readonly string[] }): void {
    if (!this.written.has(schema.fingerprint)) {
      // a schema line per process and fingerprint: readers take the last one for a fingerprint, all equal
      this.written.add(schema.fingerprint)
      this.queue.push({ schema: schema.fingerprint, features: schema.names })
    }
    this.queue.push(rec)
  }

  label(l: LabelRecord): Promise<void> {
    const run = this.labelChain.then(() => this.append(this.labelsFile, JSON.stringify(l) + '\n'))
    this.labelChain = run.catch(() => {})
    return run
  }

  async *decisions(period: Period = {}): AsyncIterable<DecisionRecord> {
    for await (const line of readLines(this.decisionsFile)) {
      const j = JSON.parse(line) as Line
      if ('features' in j) continue
      const rec = DecisionRecord.parse(j)
      if (inPeriod(rec, period)) yield rec
    }
  }

  async *labels(): AsyncIterable<LabelRecord> {
    let n = 0
    for await (const line of readLines(this.labelsFile)) {
      n++
      const r = LabelRecord.safeParse(JSON.parse(line))
      if (!r.success) throw new Error(`${this.labelsFile}:${n}: not a label record (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`)
      yield r.data
    }
  }

  async schemas(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>()
    for await (const line of readLines(this.decisionsFile)) {
      if (!line.startsWith('{"schema"')) continue
      const j = JSON.parse(line) as { schema: string; features: string[] }
      out.set(j.schema, j.features)
    }
    return out
  }

  stats(): LearningStats {
    return { ...this.queue.stats }
  }

  flush(): Promise<void> {
    return this.queue.flush()
  }

  async close(): Promise<void> {
    await this.flush()
    await this.labelChain
    this.queue.stop()
  }
}

async function* readLines(file: string): AsyncIterable<string> {
  if (!existsSync(file)) return
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  for await (const line of rl) if (line.trim() !== '') yield line
}
