import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { MemoryStore } from '../../src/velocity/memory-store.js'
import { RedisStore, parseClusterNodes } from '../../src/velocity/redis-store.js'
import type { Batch, CounterOp, VelocityStore } from '../../src/velocity/store.js'
import type { Redis } from 'ioredis'
import { writesDuring } from '../../bench/socket-writes.js'
import { uniq } from '../helpers.js'

const H = 3_600_000
const T0 = Date.parse('2026-11-11T00:00:00Z')

function batch(now: number, ops: CounterOp[], over: Partial<Batch> = {}): Batch {
  return { now, idempotencyKey: `t:idem:${uniq()}`, idempotencyTtlMs: 60_000, nonce: uniq('n'), ops, ...over }
}
const count = (key: string, add = 1, windowMs = H): CounterOp => ({ kind: 'count', key, add, windowsMs: [windowMs], buckets: 60 })
const counts = (key: string, add: number, windowsMs: number[]): CounterOp => ({ kind: 'count', key, add, windowsMs, buckets: 60 })
const distinct = (key: string, member: string, windowsMs = [H, 24 * H], cap = 1000): CounterOp => ({ kind: 'distinct', key, member, windowsMs, cap })

async function values(store: VelocityStore, b: Batch): Promise<number[]> {
  const r = await store.execute(b)
  if (r.status !== 'fresh') throw new Error(`expected fresh, got ${r.status}`)
  return r.values
}

/** A seeded generator in [0, 1), so a failing random walk replays the same way. */
const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)

// One contract, two implementations: the embedded store must behave exactly like the Redis scripts.
const stores: [string, () => Promise<VelocityStore>][] = [
  ['memory', async () => new MemoryStore()],
  [
    'redis',
    async () => {
      const s = new RedisStore(inject('redisUrl'), 500)
      await s.ready()
      return s
    },
  ],
  [
    'redis, one call per hash tag as on a cluster',
    async () => {
      const s = new RedisStore(inject('redisUrl'), 500, {}, 'slot')
      await s.ready()
      return s
    },
  ],
  [
    'redis cluster (3 masters)',
    async () => {
      const s = new RedisStore({ cluster: parseClusterNodes(inject('redisClusterNodes')) }, 1000)
      await s.ready()
      return s
    },
  ],
]

describe.each(stores)('velocity store contract: %s', (_name, make) => {
  let store: VelocityStore
  beforeAll(async () => {
    store = await make()
  })
  afterAll(async () => {
    await store.close()
  })

  it('counts events including the current one', async () => {
    const k = `t:c:${uniq()}`
    expect(await values(store, batch(T0, [count(k)]))).toEqual([1])
    expect(await values(store, batch(T0 + 1000, [count(k)]))).toEqual([2])
    expect(await values(store, batch(T0 + 2000, [count(k, 0)]))).toEqual([2])
  })

  it('slides the window instead of resetting at a fixed boundary', async () => {
    const k = `t:c:${uniq()}`
    // 5 events just before the top of the hour, 5 just after: a fixed hourly window would show 5.
    for (let i = 0; i < 5; i++) await values(store, batch(T0 + H - 60_000 + i, [count(k)]))
    let last: number[] = []
    for (let i = 0; i < 5; i++) last = await values(store, batch(T0 + H + 60_000 + i, [count(k)]))
    expect(last).toEqual([10])
    // Just under an hour after the first five they have left the window (one-minute buckets); the rest remain.
    expect(await values(store, batch(T0 + 2 * H - 30_000, [count(k, 0)]))).toEqual([5])
    expect(await values(store, batch(T0 + 3 * H + 120_000, [count(k, 0)]))).toEqual([0])
  })

  it('matches a brute-force sliding count over a random walk of times (gaps, bursts, reads)', async () => {
    const k = `t:c:${uniq()}`
    const W = 10 * 60_000
    const B = W / 60
    let t = T0
    const rand = lcg(7)
    const adds: number[] = []
    for (let i = 0; i < 400; i++) {
      const r = rand()
      t += r < 0.6 ? Math.floor(rand() * 5_000) : r < 0.9 ? Math.floor(rand() * 120_000) : Math.floor(rand() * 900_000)
      const add = rand() < 0.7 ? 1 : 0
      if (add) adds.push(t)
      const bucket = Math.floor(t / B)
      const expected = adds.filter((x) => Math.floor(x / B) >= bucket - 59 && Math.floor(x / B) <= bucket).length
      expect(await values(store, batch(t, [count(k, add, W)])), `step ${i}`).toEqual([expected])
    }
  })

  it('keeps several windows of one counter in one key, each matching a brute-force sliding count', async () => {
    const k = `t:c:${uniq()}`
    const W = [10 * 60_000, 60 * 60_000]
    let t = T0
    const rand = lcg(11)
    const adds: [number, number][] = []
    for (let i = 0; i < 400; i++) {
      const r = rand()
      t += r < 0.6 ? Math.floor(rand() * 5_000) : r < 0.9 ? Math.floor(rand() * 120_000) : Math.floor(rand() * 1_800_000)
      const add = rand() < 0.7 ? Math.floor(rand() * 3) + 1 : 0
      if (add) adds.push([t, add])
      const expected = W.map((w) => {
        const B = w / 60
        const bucket = Math.floor(t / B)
        return adds.filter(([x]) => Math.floor(x / B) >= bucket - 59).reduce((n, [, a]) => n + a, 0)
      })
      expect(await values(store, batch(t, [counts(k, add, W)])), `step ${i}`).toEqual(expected)
    }
  })

  it('counts distinct members per window, exactly', async () => {
    const k = `t:{d:${uniq()}}`
    expect(await values(store, batch(T0, [distinct(k, 'a')]))).toEqual([1, 1])
    expect(await values(store, batch(T0 + 1000, [distinct(k, 'a')]))).toEqual([1, 1])
    expect(await values(store, batch(T0 + 2000, [distinct(k, 'b')]))).toEqual([2, 2])
    // two hours later: 'a' and 'b' are outside 1h but inside 24h
    expect(await values(store, batch(T0 + 2 * H, [distinct(k, 'c')]))).toEqual([1, 3])
    expect(await values(store, batch(T0 + 2 * H + 1, [distinct(k, '')]))).toEqual([1, 3])
  })

  it('keeps counting past the distinct cap (small sets stay exact in the sketch)', async () => {
    const k = `t:{d:${uniq()}}`
    const v: number[] = []
    for (let i = 0; i < 8; i++) v.push((await values(store, batch(T0 + i, [distinct(k, `m${i}`, [H], 5)])))[0]!)
    expect(v).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    // a member seen again does not count twice, exact or estimated
    expect(await values(store, batch(T0 + 9, [distinct(k, 'm1', [H], 5)]))).toEqual([8])
  })

  it('returns every op value from one batch, in order', async () => {
    const a = `t:c:${uniq()}`
    const b = `t:{d:${uniq()}}`
    await values(store, batch(T0, [count(a), count(a)]))
    expect(await values(store, batch(T0 + 1, [count(a), distinct(b, 'x'), count(a, 0)]))).toEqual([3, 1, 1, 3])
  })

  it('replays a repeated idempotency key without counting again', async () => {
    const k = `t:c:${uniq()}`
    const idem = `t:idem:${uniq()}`
    const first = await store.execute(batch(T0, [count(k)], { idempotencyKey: idem }))
    expect(first.status).toBe('fresh')
    // Until the decision is stored, a retry sees the claim in flight.
    expect((await store.execute(batch(T0 + 1, [count(k)], { idempotencyKey: idem }))).status).toBe('in_flight')
    await store.finalize({ idempotencyKey: idem, idempotencyTtlMs: 60_000, response: '{"decision":"allow"}' })
    const again = await store.execute(batch(T0 + 2, [count(k)], { idempotencyKey: idem }))
    expect(again).toEqual({ status: 'replayed', stored: '{"decision":"allow"}' })
    expect(await values(store, batch(T0 + 3, [count(k, 0)]))).toEqual([1])
    expect(await store.stored(idem)).toBe('{"decision":"allow"}')
  })

  it('remembers an account only on first registration', async () => {
    const key = `t:acct:${uniq()}`
    const r1 = await store.execute(batch(T0, [], { account: { key, setIfAbsent: '{"t":1}', ttlMs: H } }))
    const r2 = await store.execute(batch(T0 + 1, [], { account: { key, setIfAbsent: '{"t":2}', ttlMs: H } }))
    const r3 = await store.execute(batch(T0 + 2, [], { account: { key, setIfAbsent: '', ttlMs: H } }))
    expect(r1.status === 'fresh' && r1.account).toBe('{"t":1}')
    expect(r2.status === 'fresh' && r2.account).toBe('{"t":1}')
    expect(r3.status === 'fresh' && r3.account).toBe('{"t":1}')
    const unknown = await store.execute(batch(T0, [], { account: { key: `t:acct:${uniq()}`, setIfAbsent: '', ttlMs: H } }))
    expect(unknown.status === 'fresh' && unknown.account).toBeNull()
  })

  it("reads another account's memory beside the event's own, and never writes it", async () => {
    const inviter = `t:{acct:${uniq()}}:mem`
    await store.execute(batch(T0, [], { account: { key: inviter, setIfAbsent: '{"t":7,"s":91}', ttlMs: H } }))
    const absent = `t:{acct:${uniq()}}:mem`
    const r = await store.execute(batch(T0 + 5, [count(`t:c:${uniq()}`)], { account: { key: `t:{acct:${uniq()}}:mem`, setIfAbsent: '{"t":8}', ttlMs: H }, peek: [inviter, absent] }))
    expect(r.status === 'fresh' && r.peeked).toEqual(['{"t":7,"s":91}', null])
    expect(r.status === 'fresh' && r.values).toEqual([1])
    const again = await store.execute(batch(T0 + 6, [], { peek: [absent] }))
    expect(again.status === 'fresh' && again.peeked).toEqual([null])
    const plain = await store.execute(batch(T0 + 7, [count(`t:c:${uniq()}`)]))
    expect(plain.status === 'fresh' && plain.peeked).toBeUndefined()
  })

  it('takes back every counter a replay or a concurrent duplicate touched', async () => {
    const tag = uniq('e')
    const c = `t:{${tag}}:c`
    const sum = `t:{${tag}}:s`
    const d = `t:{${tag}}:d`
    const other = `t:{${uniq('o')}}:c`
    const acct = `t:{${tag}}:acct`
    const idem = `t:idem:${uniq()}`
    const ops = (m: string) => [counts(c, 1, [H, 24 * H]), count(sum, 250), distinct(d, m), count(other)]
    await values(store, batch(T0, ops('old')))
    expect(await values(store, batch(T0 + 10, ops('a'), { idempotencyKey: idem, account: { key: acct, setIfAbsent: '{"t":1}', ttlMs: H } }))).toEqual([2, 2, 500, 2, 2, 2])
    // in flight, then replayed: neither counts, nor adds a member, nor moves a member's last-seen time
    expect((await store.execute(batch(T0 + 20, ops('new'), { idempotencyKey: idem }))).status).toBe('in_flight')
    await store.finalize({ idempotencyKey: idem, idempotencyTtlMs: 60_000, response: '{}' })
    expect((await store.execute(batch(T0 + 30 * 60_000, ops('old'), { idempotencyKey: idem }))).status).toBe('replayed')
    expect(await values(store, batch(T0 + 40 * 60_000, [counts(c, 0, [H, 24 * H]), count(sum, 0), distinct(d, ''), count(other, 0)]))).toEqual([2, 2, 500, 2, 2, 2])
    // 'old' was last seen at T0, so an hour later it has left the 1h window: the replay did not renew it
    expect(await values(store, batch(T0 + H + 1, [distinct(d, '')]))).toEqual([1, 2])
    // a duplicate that claimed nothing leaves no account memory behind
    const acct2 = `t:{${uniq('a')}}:acct`
    const idem2 = `t:idem:${uniq()}`
    await store.finalize({ idempotencyKey: idem2, idempotencyTtlMs: 60_000, response: '{}' })
    await store.execute(batch(T0, [], { idempotencyKey: idem2, account: { key: acct2, setIfAbsent: '{"t":9}', ttlMs: H } }))
    const probe = await store.execute(batch(T0, [], { account: { key: acct2, setIfAbsent: '', ttlMs: H } }))
    expect(probe.status === 'fresh' && probe.account).toBeNull()
  })

  it('sums values over a sliding window', async () => {
    const k = `t:s:${uniq()}`
    expect(await values(store, batch(T0, [count(k, 1999)]))).toEqual([1999])
    expect(await values(store, batch(T0 + 60_000, [count(k, 1)]))).toEqual([2000])
    expect(await values(store, batch(T0 + H + 30_000, [count(k, 0)]))).toEqual([1])
  })

  it('estimates distinct members past the cap instead of saturating', async () => {
    const k = `t:{${uniq('d')}}:d`
    let v: number[] = []
    // 3,000 members with a cap of 200: exact below the cap, then HyperLogLog estimates (±5% here)
    for (let i = 0; i < 3000; i++) {
      v = await values(store, batch(T0 + i * 1000, [distinct(k, `member-${i}`, [H, 24 * H], 200)]))
      if (i === 150) expect(v).toEqual([151, 151])
    }
    // 1h window: members of the last hour (3,600 s → all 3,000 sent over 50 min); ±1 slice of time error
    expect(v[1]!).toBeGreaterThan(2850)
    expect(v[1]!).toBeLessThan(3150)
    expect(v[0]!).toBeGreaterThan(2850)
    expect(v[0]!).toBeLessThan(3150)
    // 12 h later only the 24h window remembers them
    const later = await values(store, batch(T0 + 12 * H, [distinct(k, '', [H, 24 * H], 200)]))
    expect(later[0]).toBe(0)
    expect(later[1]!).toBeGreaterThan(2850)
  })

  it('loses no increment under 1,000 concurrent events on one device', async () => {
    const tag = `device:${uniq()}`
    const ops = () => [count(`t:{${tag}}:registrations:1h`), distinct(`t:{${tag}}:accounts`, uniq('acct'))]
    const all = await Promise.all(Array.from({ length: 1000 }, (_, i) => values(store, batch(T0 + i, ops()))))
    // every event saw a different count: none was lost or double-counted
    expect(new Set(all.map((v) => v[0])).size).toBe(1000)
    expect(await values(store, batch(T0 + 1000, [count(`t:{${tag}}:registrations:1h`, 0), distinct(`t:{${tag}}:accounts`, '')]))).toEqual([1000, 1000, 1000])
  })

  it('answers ping', async () => {
    expect(await store.ping()).toBe(true)
  })
})

describe('redis store specifics', () => {
  let store: RedisStore
  beforeAll(async () => {
    store = new RedisStore(inject('redisUrl'), 500)
    await store.ready()
  })
  afterAll(() => store.close())

  it('puts a TTL on every key it writes', async () => {
    const c = `t:c:${uniq()}`
    const d = `t:{d:${uniq()}}`
    const idem = `t:idem:${uniq()}`
    const acct = `t:acct:${uniq()}`
    await store.execute(batch(Date.now(), [count(c), distinct(d, 'x')], { idempotencyKey: idem, account: { key: acct, setIfAbsent: '{}', ttlMs: H } }))
    for (const k of [c, d, idem, acct]) {
      const ttl = await store.client.pttl(k)
      expect(ttl, k).toBeGreaterThan(0)
    }
    expect(await store.client.pttl(c)).toBeLessThanOrEqual(H + H / 60)
  })

  it('keeps only buckets inside their window after each access, sparse or busy', async () => {
    const k = `t:c:${uniq()}`
    const W = [10 * 60_000, 60 * 60_000]
    let t = T0
    const rand = lcg(5)
    for (let i = 0; i < 300; i++) {
      const r = rand()
      t += r < 0.5 ? Math.floor(rand() * 20_000) : r < 0.8 ? Math.floor(rand() * 600_000) : Math.floor(rand() * 7_200_000)
      await store.execute(batch(t, [counts(k, rand() < 0.7 ? 1 : 0, W)]))
      const fields = Object.keys(await store.client.hgetall(k))
      for (const f of fields) {
        const m = /^(\d+):(\d+)$/.exec(f)
        if (!m) continue
        const B = W[Number(m[1]) - 1]! / 60
        const now = Math.floor(t / B)
        expect(Number(m[2]), `step ${i}: ${f}`).toBeGreaterThan(now - 60)
        expect(Number(m[2]), `step ${i}: ${f}`).toBeLessThanOrEqual(now)
      }
    }
  })

  it('calls the scripts by SHA (the scripts are loaded in the server cache)', async () => {
    await store.execute(batch(Date.now(), [count(`t:c:${uniq()}`)]))
    const { createHash } = await import('node:crypto')
    const { SCRIPTS } = await import('../../src/velocity/redis-store.js')
    for (const name of ['bouncerCounters'] as const) {
      const sha = createHash('sha1').update(SCRIPTS[name]).digest('hex')
      expect(await (store.client as Redis).script('EXISTS', sha), name).toEqual([1])
    }
  })

  it('has the counters script in Redis before the first event', async () => {
    const { createHash } = await import('node:crypto')
    const { SCRIPTS } = await import('../../src/velocity/redis-store.js')
    const sha = createHash('sha1').update(SCRIPTS.bouncerCounters).digest('hex')
    await (store.client as Redis).script('FLUSH')
    const fresh = new RedisStore(inject('redisUrl'), 500)
    await fresh.ready()
    expect(await (store.client as Redis).script('EXISTS', sha)).toEqual([1])
    await fresh.close()
  })

  it("counts on after Redis loses its script cache (SCRIPT FLUSH, or a restarted server): the call sends the script again", async () => {
    const k = `t:c:${uniq()}`
    expect(await values(store, batch(T0, [count(k)]))).toEqual([1])
    await (store.client as Redis).script('FLUSH')
    expect(await values(store, batch(T0 + 1, [count(k)]))).toEqual([2])
    expect(await values(store, batch(T0 + 2, [count(k)]))).toEqual([3])
  })

  it('sends one event in one write: the claim and one call per hash tag, pipelined', async () => {
    const client = store.client as Redis
    await client.ping()
    const ops = ['ip', 'device', 'account', 'email', 'campaign+ip'].map((t) => count(`t:{${t}:${uniq()}}:x:1h`))
    let status = ''
    const writes = await writesDuring(client, async () => {
      status = (await store.execute(batch(T0, [...ops, distinct(`t:{ip:${uniq()}}:d`, 'a')]))).status
    })
    expect(status).toBe('fresh')
    expect(writes).toBe(1)
  })

  it("sends an event's write-back with the next event's call, in that call's write", async () => {
    const client = store.client as Redis
    await client.ping()
    const idem = `t:idem:${uniq()}`
    let stored: Promise<void> | undefined
    const writes = await writesDuring(client, async () => {
      stored = store.finalize({ idempotencyKey: idem, idempotencyTtlMs: 60_000, response: '{"decision":"deny"}' })
      await store.execute(batch(T0, [count(`t:c:${uniq()}`)]))
      await stored
    })
    expect(writes).toBe(1)
    expect(await client.get(idem)).toBe('{"decision":"deny"}')
    // with no event to ride with, it goes by itself, and an urgent one at once
    const lone = `t:idem:${uniq()}`
    await store.finalize({ idempotencyKey: lone, idempotencyTtlMs: 60_000, response: '1' })
    expect(await client.get(lone)).toBe('1')
    const urgent = `t:idem:${uniq()}`
    const writesUrgent = await writesDuring(client, () => store.finalize({ idempotencyKey: urgent, idempotencyTtlMs: 60_000, response: '2', urgent: true }))
    expect(writesUrgent).toBe(1)
    expect(await client.get(urgent)).toBe('2')
  })

  it('sends waiting write-backs before it closes (graceful shutdown loses no decision)', async () => {
    const closing = new RedisStore(inject('redisUrl'), 500)
    await closing.ready()
    const idem = `t:idem:${uniq()}`
    const stored = closing.finalize({ idempotencyKey: idem, idempotencyTtlMs: 60_000, response: '"kept"' })
    await closing.close()
    await stored
    expect(await store.client.get(idem)).toBe('"kept"')
  })

  it('puts a TTL on the sketches of a distinct key past its cap', async () => {
    const tag = uniq('hll')
    const k = `t:{${tag}}:d`
    for (let i = 0; i < 12; i++) await store.execute(batch(Date.now(), [distinct(k, `m${i}`, [H, 24 * H], 10)]))
    const keys = await store.client.keys(`t:{${tag}}*`)
    expect(keys.length).toBeGreaterThan(2)
    for (const key of keys) expect(await store.client.pttl(key), key).toBeGreaterThan(0)
  })

  it('holds at most the cap of exact members per distinct key', async () => {
    const k = `t:{d:${uniq()}}`
    for (let i = 0; i < 50; i++) await store.execute(batch(T0 + i, [distinct(k, `m${i}`, [H], 20)]))
    expect(await store.client.zcard(k)).toBe(20)
    // the newest are kept
    expect(await store.client.zscore(k, 'm49')).not.toBeNull()
    expect(await store.client.zscore(k, 'm0')).toBeNull()
  })


  it('takes a reply that arrived while the event loop was busy past the budget, instead of timing out', async () => {
    const tight = new RedisStore(inject('redisUrl'), 20)
    await tight.ready()
    await tight.client.ping()
    const k = `t:c:${uniq()}`
    const pending = tight.execute(batch(T0, [count(k)]))
    // after the call's write (the corked tick's nextTick), hold the loop for 5x the budget, as a cold burst or a GC pause does
    process.nextTick(() => {
      const until = performance.now() + 100
      while (performance.now() < until);
    })
    const r = await pending
    expect(r.status).toBe('fresh')
    expect(r.status === 'fresh' && r.values).toEqual([1])
    await tight.close()
  })

  it('fails fast when Redis is unreachable', async () => {
    const dead = new RedisStore('redis://127.0.0.1:1', 50, { retryStrategy: () => null })
    await expect(dead.execute(batch(T0, [count('x')]))).rejects.toThrow()
    expect(await dead.ping()).toBe(false)
    await dead.close()
  })
})

describe('abandoned claims', () => {
  it('frees an event_id whose decision was never stored (memory clock)', async () => {
    const store = new MemoryStore()
    const idem = `t:idem:${uniq()}`
    expect((await store.execute(batch(T0, [], { idempotencyKey: idem, idempotencyTtlMs: 86_400_000 }))).status).toBe('fresh')
    expect((await store.execute(batch(T0 + 1000, [], { idempotencyKey: idem, idempotencyTtlMs: 86_400_000 }))).status).toBe('in_flight')
    expect((await store.execute(batch(T0 + 31_000, [], { idempotencyKey: idem, idempotencyTtlMs: 86_400_000 }))).status).toBe('fresh')
  })

  it('gives a Redis claim a short TTL and the stored decision the full one', async () => {
    const store = new RedisStore(inject('redisUrl'), 500)
    await store.ready()
    const idem = `t:idem:${uniq()}`
    await store.execute(batch(Date.now(), [], { idempotencyKey: idem, idempotencyTtlMs: 86_400_000 }))
    expect(await store.client.pttl(idem)).toBeLessThanOrEqual(30_000)
    await store.finalize({ idempotencyKey: idem, idempotencyTtlMs: 86_400_000, response: '{}' })
    expect(await store.client.pttl(idem)).toBeGreaterThan(86_000_000)
    await store.close()
  })
})

describe('memory store bounds', () => {
  it('drops expired keys as traffic flows, without a full sweep', async () => {
    const store = new MemoryStore(4)
    for (let i = 0; i < 500; i++) await store.execute(batch(T0 + i, [count(`t:c:${i}`, 1, 60_000)], { idempotencyTtlMs: 1000 }))
    const peak = store.keyCount()
    expect(peak).toBeGreaterThan(500)
    // much later, ordinary traffic on new keys sweeps the expired ones a few at a time
    for (let i = 0; i < 400; i++) await store.execute(batch(T0 + 10 * H + i, [], { idempotencyTtlMs: 1000 }))
    expect(store.keyCount()).toBeLessThan(peak / 2)
  })
})
