import { readFileSync } from 'node:fs'
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis'
import { MAX_KEYS_PER_SLOT_CALL } from './limits.js'
import { evalshaEncoded, scriptSha } from '../util/resp.js'
import { PENDING_PREFIX, PENDING_TTL_MS, hashTag, type Batch, type BatchResult, type Finalize, type VelocityStore } from './store.js'

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8')

/** Named Lua modules, registered with defineCommand so ioredis calls them by SHA (EVALSHA, EVAL on NOSCRIPT). */
export const SCRIPTS = {
  bouncerClaim: lua('claim'),
  bouncerCounters: lua('counters'),
  bouncerUndo: lua('undo'),
  bouncerRelease: lua('release'),
} as const

type Arg = string | number
interface ScriptCommands {
  bouncerClaim(key: string, claimTtlMs: number, nonce: string): Promise<[number, string?]>
  bouncerRelease(key: string, pending: string): Promise<number>
}
type Client = (Redis | Cluster) & ScriptCommands
type Call = (...args: Arg[]) => Promise<unknown>

export class StoreUnavailable extends Error {
  constructor(reason: string) {
    super(`Redis is not connected: ${reason}; scoring without velocity counters or retry protection until it answers`)
    this.name = 'StoreUnavailable'
  }
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
    // Timers run before the loop reads its sockets: after the loop was busy past the budget (a burst on a cold
    // process, a GC pause), a reply already waiting in the socket would lose to its own timer. The rejection
    // waits for the next check phase, after this turn's poll has read what arrived.
    timer = setTimeout(() => setImmediate(() => reject(new VelocityTimeout(ms))), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** One Lua call: the ops of one hash tag, and where their values go in the batch's result. */
interface Group {
  keys: string[]
  argv: Arg[]
  /** per op of the group: its index in the batch and how many values it returns */
  ops: { index: number; width: number }[]
  hasAccount: boolean
}

/** The longest a write-back waits for another event's call to ride with. */
const DEFER_MS = 1

export type RedisTarget = { url: string } | { cluster: ClusterNode[] }

/** `host:port,host:port` → cluster seed nodes */
export function parseClusterNodes(list: string): ClusterNode[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((hp) => {
      const i = hp.lastIndexOf(':')
      return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) }
    })
}

export class RedisStore implements VelocityStore {
  readonly kind = 'redis' as const
  readonly client: Client
  /**
   * `slot`: one call per hash tag, as a cluster needs; `single`: the whole event in one call with its claim,
   * which a single node allows and which costs Redis one script invocation per event instead of six.
   */
  readonly calls: 'slot' | 'single'
  /** the script commands, by name and key count */
  private readonly defined = new Map<string, Call>()

  constructor(target: string | RedisTarget, private readonly timeoutMs = 25, options: RedisOptions = {}, calls?: 'slot' | 'single') {
    const t: RedisTarget = typeof target === 'string' ? { url: target } : target
    this.calls = calls ?? ('cluster' in t ? 'slot' : 'single')
    const base: RedisOptions = {
      // Fail fast while Redis is down: the scoring path degrades instead of queueing requests.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      ...options,
    }
    if ('cluster' in t) {
      this.client = new Cluster(t.cluster, {
        // Commands issued in the same tick share one write per node: an event's calls fan out in parallel.
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
        slotsRefreshTimeout: 2000,
        redisOptions: base,
      }) as Client
    } else {
      // Commands issued in the same tick (concurrent requests' calls and write-backs) share one write, by
      // corking the socket for the tick (see `batchTick`) rather than through ioredis's auto-pipelining:
      // an auto-pipeline costs ~30 µs of CPU per flush and holds the next one back until its replies are
      // in, which a lone event at 2,000/s pays in full (bench/README.md, Service).
      this.client = new Redis(t.url, { enableAutoPipelining: false, ...base }) as Client
    }
    // Connection errors surface per call as degraded velocity and the client reconnects by itself; the last
    // one is kept, in an operator's words, for the log and /readyz.
    this.client.on('error', (err: Error) => {
      this.lastError = err.message
    })
    this.client.on('ready', () => {
      this.lastError = undefined
    })
    this.client.defineCommand('bouncerClaim', { numberOfKeys: 1, lua: SCRIPTS.bouncerClaim })
    this.client.defineCommand('bouncerRelease', { numberOfKeys: 1, lua: SCRIPTS.bouncerRelease })
    if (this.calls === 'single') {
      // The event's call names the counters script by SHA alone (countersEncoded). Loading it whenever the
      // connection is (re)established (a restarted Redis has an empty script cache) spares a burst of first
      // events a NOSCRIPT reply and a second trip each.
      this.client.on('ready', () => {
        this.scriptLoaded = (this.client as Redis).script('LOAD', SCRIPTS.bouncerCounters).catch(() => undefined)
      })
      // One command each, the key count as its first argument, as EVALSHA takes it.
      for (const name of ['bouncerCounters', 'bouncerUndo'] as const) {
        this.client.defineCommand(name, { lua: SCRIPTS[name] })
        this.defined.set(name, (this.client as unknown as Record<string, Call>)[name]!.bind(this.client))
      }
    } else {
      // Defined up front: an auto-pipeline copies the client's commands when it is created, so a command
      // defined later in the same tick would be missing from it.
      for (let n = 1; n <= MAX_KEYS_PER_SLOT_CALL; n++) {
        for (const name of ['bouncerCounters', 'bouncerUndo'] as const) {
          this.client.defineCommand(`${name}${n}`, { numberOfKeys: n, lua: SCRIPTS[name] })
          this.defined.set(`${name}${n}`, (this.client as unknown as Record<string, Call>)[`${name}${n}`]!.bind(this.client))
        }
      }
    }
  }

  private corked = false
  private lastError: string | undefined

  /** Whether Redis is connected now, and if not, why (the last connection error). */
  health(): { connected: boolean; reason?: string } {
    const status = this.client.status
    if (status === 'ready') return { connected: true }
    return { connected: false, reason: this.lastError ? `${this.lastError} (connection ${status})` : `connection ${status}` }
  }

  /** Single node: the socket holds writes until the end of this tick, then sends them in one writev (a cluster auto-pipelines per node). */
  private batchTick(): void {
    if (this.corked || this.client instanceof Cluster) return
    const stream = this.client.stream
    if (!stream || stream.destroyed) return
    stream.cork()
    this.corked = true
    process.nextTick(() => {
      this.corked = false
      stream.uncork()
    })
  }

  /**
   * Call a script on `keys`. On a cluster it goes through the command with that fixed key count
   * (`bouncerCounters3`): ioredis routes an auto-pipelined cluster command by its first argument, which
   * must then be a key rather than the key count. Every variant is the same script, so the same SHA.
   */
  private run(name: 'bouncerCounters' | 'bouncerUndo', keys: string[], args: Arg[]): Promise<unknown> {
    if (this.calls === 'single') return this.defined.get(name)!(keys.length, ...keys, ...args)
    const call = this.defined.get(`${name}${keys.length}`)
    if (!call) throw new Error(`${keys.length} keys in one call: more than ${MAX_KEYS_PER_SLOT_CALL}; declare fewer counters per entity`)
    return call(...keys, ...args)
  }

  private scriptLoaded: Promise<unknown> | undefined

  /** Connected, and (single node) the counters script in Redis's cache. */
  async ready(): Promise<void> {
    if (this.client.status !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('redis: not ready after 5 s')), 5000)
        this.client.once('ready', () => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    await this.scriptLoaded
  }

  /** Ops grouped by hash tag, in first-seen order; the account memory joins its account's group. */
  private group(b: Batch): Group[] {
    const byTag = new Map<string, Group>()
    const get = (tag: string) => {
      let g = byTag.get(tag)
      if (!g) {
        g = { keys: [], argv: [], ops: [], hasAccount: false }
        byTag.set(tag, g)
      }
      return g
    }
    for (let i = 0; i < b.ops.length; i++) {
      const op = b.ops[i]!
      const g = get(this.calls === 'slot' ? hashTag(op.key) : '')
      g.keys.push(op.key)
      // Every number the script would format or parse is sent ready-made (counters.lua says why).
      const w = op.windowsMs
      let longest = 0
      for (let j = 1; j < w.length; j++) if (w[j]! > w[longest]!) longest = j
      if (op.kind === 'count') {
        g.argv.push('c', String(op.add), w.length, op.buckets, longest + 1, String(w[longest]! + w[longest]! / op.buckets))
        for (const ms of w) g.argv.push(String(Math.floor(b.now / (ms / op.buckets))))
      } else {
        g.argv.push('d', op.member, op.cap, w.length, String(w[longest]!))
        for (const ms of w) g.argv.push(String(ms), String(b.now - ms + 1))
      }
      g.ops.push({ index: i, width: w.length })
    }
    if (b.account) get(this.calls === 'slot' ? hashTag(b.account.key) : '').hasAccount = true
    if (this.calls === 'single' && byTag.size === 0) get('')
    return [...byTag.values()]
  }

  private counters(b: Batch, g: Group, claim: boolean): Promise<unknown> {
    const keys = g.hasAccount ? [...g.keys, b.account!.key] : [...g.keys]
    if (claim) keys.push(b.idempotencyKey)
    const claimTtl = Math.min(b.idempotencyTtlMs, PENDING_TTL_MS)
    const head: Arg[] = [b.now, g.ops.length, g.hasAccount ? '1' : '0', b.account?.setIfAbsent ?? '', b.account?.ttlMs ?? 0, claim ? '1' : '0', claimTtl, b.nonce]
    if (this.calls === 'single' && this.client instanceof Redis) return this.countersEncoded(this.client, keys, head, g.argv)
    return this.run('bouncerCounters', keys, [...head, ...g.argv])
  }

  private readonly countersSha = scriptSha(SCRIPTS.bouncerCounters)

  /** The event's one call, its bytes built in one pass (util/resp.ts says why); the defined command when Redis lacks the script. */
  private countersEncoded(client: Redis, keys: string[], head: Arg[], argv: Arg[]): Promise<unknown> {
    return evalshaEncoded(client, this.countersSha, [[keys.length], keys, head, argv], () => this.run('bouncerCounters', keys, [...head, ...argv]))
  }

  async execute(b: Batch): Promise<BatchResult> {
    // Not connected: say so plainly rather than with the client's "Stream isn't writeable" internals.
    if (this.client.status !== 'ready') throw new StoreUnavailable(this.health().reason ?? 'not connected')
    try {
      return await this.send(b)
    } catch (err) {
      // The event will be answered degraded and its answer never stored, so its claim (which may land late,
      // from a stalled Redis) is taken back: queued behind the call on the same connection, it runs after the
      // claim, and a retry is scored afresh instead of waiting into a 409 on a claim nobody completes.
      this.client.bouncerRelease(b.idempotencyKey, PENDING_PREFIX + b.nonce).catch(() => {})
      throw err
    }
  }

  private async send(b: Batch): Promise<BatchResult> {
    this.batchTick()
    if (this.deferred.length > 0) this.sendDeferred()
    const groups = this.group(b)
    if (this.calls === 'single') {
      const [r, peeked] = (await this.withPeeks(b, this.counters(b, groups[0]!, true))) as [(number | string | null)[], (string | null)[] | undefined]
      if (r[0] === -1) return r[1] === 0 ? { status: 'replayed', stored: r[2] as string } : { status: 'in_flight' }
      return this.assemble(b, groups, [r], peeked)
    }
    // The claim and every group's counters go out in the same tick: one round trip (one write per node).
    // A replay is rare, so its counters are taken back afterwards instead of costing every event a second trip.
    const claim = this.client.bouncerClaim(b.idempotencyKey, Math.min(b.idempotencyTtlMs, PENDING_TTL_MS), b.nonce)
    const [[c, ...rs], peeked] = await this.withPeeks(b, Promise.all([claim, ...groups.map((g) => this.counters(b, g, false))]))
    const results = rs as (number | string | null)[][]
    if (c[0] !== 1) {
      await withBudget(Promise.all(groups.map((g, i) => this.undo(b, g, results[i]!))), this.timeoutMs * 4)
      return c[0] === 0 ? { status: 'replayed', stored: c[1]! } : { status: 'in_flight' }
    }
    return this.assemble(b, groups, results, peeked)
  }

  /**
   * The event's calls within the time budget, with the other accounts' memory it asked for: plain GETs in
   * the same tick, so the same write and no change to the scripts. Events without peeks await the calls alone.
   */
  private async withPeeks<T>(b: Batch, calls: Promise<T>): Promise<[T, (string | null)[] | undefined]> {
    if (!b.peek?.length) return [await withBudget(calls, this.timeoutMs), undefined]
    return withBudget(Promise.all([calls, Promise.all(b.peek.map((k) => this.client.get(k)))]), this.timeoutMs)
  }

  /** Each group's values put back in the batch's op order. */
  private assemble(b: Batch, groups: Group[], results: (number | string | null)[][], peeked?: (string | null)[]): BatchResult {
    const widths = new Array<number>(b.ops.length)
    for (const g of groups) for (const o of g.ops) widths[o.index] = o.width
    const offsets = new Array<number>(b.ops.length)
    let total = 0
    for (let i = 0; i < b.ops.length; i++) {
      offsets[i] = total
      total += widths[i]!
    }
    const values = new Array<number>(total)
    let account: string | null = null
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!
      const r = results[gi]!
      if (g.hasAccount) account = (r[1] as string | null) ?? null
      let k = 2
      for (const o of g.ops) for (let w = 0; w < o.width; w++) values[offsets[o.index]! + w] = Number(r[k++])
    }
    return peeked ? { status: 'fresh', account, values, peeked } : { status: 'fresh', account, values }
  }

  private undo(b: Batch, g: Group, r: (number | string | null)[]): Promise<unknown> {
    const argv: Arg[] = []
    const keys: string[] = []
    let prior = 2 + g.ops.reduce((n, o) => n + o.width, 0)
    for (let j = 0; j < g.ops.length; j++) {
      const op = b.ops[g.ops[j]!.index]!
      if (op.kind === 'count') {
        if (op.add <= 0) continue
        keys.push(op.key)
        argv.push('c', op.add, op.windowsMs.length, op.buckets, ...op.windowsMs)
      } else if (op.member !== '') {
        keys.push(op.key)
        argv.push('d', op.member, String(r[prior++]))
      }
    }
    const accountSet = g.hasAccount && r[0] === 1
    if (accountSet) keys.push(b.account!.key)
    if (keys.length === 0) return Promise.resolve(1)
    return this.run('bouncerUndo', keys, [accountSet ? keys.length - 1 : keys.length, accountSet ? '1' : '0', b.now, ...argv])
  }

  /**
   * Write-backs waiting for the next event's call. Sent in the same tick as that call, they share its
   * socket write and its reply read (the corked tick; auto-pipelining on a cluster): at a steady 2,000
   * events/s that is one write and one wake-up per event instead of two. A timer sends them within
   * `DEFER_MS` when no event comes.
   */
  private deferred: (() => void)[] = []
  private deferTimer: NodeJS.Timeout | undefined

  private sendDeferred(): void {
    if (this.deferTimer) clearTimeout(this.deferTimer)
    this.deferTimer = undefined
    const sends = this.deferred
    this.deferred = []
    for (const send of sends) send()
  }

  finalize(f: Finalize): Promise<void> {
    // Two keys in two slots: two plain SETs, pipelined.
    const send = () => {
      this.batchTick()
      const writes: Promise<unknown>[] = [this.client.set(f.idempotencyKey, f.response, 'PX', f.idempotencyTtlMs)]
      if (f.account) writes.push(this.client.set(f.account.key, f.account.value, 'PX', f.account.ttlMs))
      return withBudget(Promise.all(writes), this.timeoutMs * 4).then(() => undefined)
    }
    // Replays await every write-back before their next event; a retry of a live event meanwhile finds the
    // claim pending and waits for the stored decision (Scorer.waitForStored), as it would for a slow write.
    if (f.urgent) return send()
    return new Promise((resolve, reject) => {
      this.deferred.push(() => void send().then(resolve, reject))
      this.deferTimer ??= setTimeout(() => this.sendDeferred(), DEFER_MS)
    })
  }

  async stored(key: string): Promise<string | null> {
    return withBudget(this.client.get(key), this.timeoutMs)
  }

  async ping(): Promise<boolean> {
    try {
      if (this.client instanceof Cluster) {
        // every master must answer: a cluster with a slot range down is not ready
        const masters = this.client.nodes('master')
        if (masters.length === 0) return false
        const pongs = await withBudget(Promise.all(masters.map((n) => n.ping())), 500)
        return pongs.every((p) => p === 'PONG')
      }
      return (await withBudget(this.client.ping(), 500)) === 'PONG'
    } catch {
      return false
    }
  }

  async close(): Promise<void> {
    if (this.deferred.length > 0) {
      this.sendDeferred()
      // the last write-backs reach Redis before the connection goes: a reply to a later command means so
      await this.client.ping().catch(() => undefined)
    }
    this.client.disconnect()
  }
}
