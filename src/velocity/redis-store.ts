import { readFileSync } from 'node:fs'
import { Redis, type RedisOptions } from 'ioredis'
import type { Batch, BatchResult, Finalize, VelocityStore } from './store.js'

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8')

/** Named Lua modules, registered with defineCommand so ioredis calls them by SHA (EVALSHA, EVAL on NOSCRIPT). */
export const SCRIPTS = {
  bouncerScoreBatch: lua('score_batch'),
  bouncerFinalize: lua('finalize'),
} as const

interface ScriptClient extends Redis {
  bouncerScoreBatch(...args: (string | number)[]): Promise<unknown[]>
  bouncerFinalize(...args: (string | number)[]): Promise<number>
}

export class VelocityTimeout extends Error {
  constructor(ms: number) {
    super(`velocity store did not answer within ${ms} ms`)
    this.name = 'VelocityTimeout'
  }
}

function withBudget<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new VelocityTimeout(ms)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

export class RedisStore implements VelocityStore {
  readonly kind = 'redis' as const
  readonly client: ScriptClient

  constructor(url: string, private readonly timeoutMs = 25, options: RedisOptions = {}) {
    this.client = new Redis(url, {
      // Fail fast while Redis is down: the scoring path degrades instead of queueing requests.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      lazyConnect: false,
      // Commands issued in the same tick (many concurrent requests' batches and write-backs) share one write.
      enableAutoPipelining: true,
      ...options,
    }) as ScriptClient
    this.client.on('error', () => {
      // connection errors surface per call as degraded velocity; the client reconnects by itself
    })
    this.client.defineCommand('bouncerScoreBatch', { lua: SCRIPTS.bouncerScoreBatch })
    this.client.defineCommand('bouncerFinalize', { numberOfKeys: 2, lua: SCRIPTS.bouncerFinalize })
  }

  async ready(): Promise<void> {
    if (this.client.status === 'ready') return
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('redis: not ready after 5 s')), 5000)
      this.client.once('ready', () => {
        clearTimeout(t)
        resolve()
      })
    })
  }

  async execute(b: Batch): Promise<BatchResult> {
    const keys: string[] = [b.idempotencyKey, b.account?.key ?? b.idempotencyKey]
    const argv: (string | number)[] = [
      b.now,
      b.idempotencyTtlMs,
      b.nonce,
      b.ops.length,
      b.account ? '1' : '0',
      b.account?.setIfAbsent ?? '',
      b.account?.ttlMs ?? 0,
    ]
    for (const op of b.ops) {
      keys.push(op.key)
      if (op.kind === 'count') argv.push('c', op.add, op.windowMs, op.bucketMs)
      else argv.push('d', op.member, op.cap, op.windowsMs.length, ...op.windowsMs)
    }
    const res = await withBudget(this.client.bouncerScoreBatch(keys.length, ...keys, ...argv), this.timeoutMs)
    const status = res[0] as number
    if (status === 0) return { status: 'replayed', stored: res[1] as string }
    if (status === 2) return { status: 'in_flight' }
    const values = new Array<number>(res.length - 2)
    for (let i = 2; i < res.length; i++) values[i - 2] = Number(res[i])
    return { status: 'fresh', account: (res[1] as string | null) ?? null, values }
  }

  async finalize(f: Finalize): Promise<void> {
    await withBudget(
      this.client.bouncerFinalize(
        f.idempotencyKey,
        f.account?.key ?? f.idempotencyKey,
        f.response,
        f.idempotencyTtlMs,
        f.account?.value ?? '',
        f.account?.ttlMs ?? 0,
      ),
      this.timeoutMs * 4,
    )
  }

  async stored(key: string): Promise<string | null> {
    return withBudget(this.client.get(key), this.timeoutMs)
  }

  async ping(): Promise<boolean> {
    try {
      return (await withBudget(this.client.ping(), 500)) === 'PONG'
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    this.client.disconnect()
  }
}
