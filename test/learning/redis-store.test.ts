import { Redis } from 'ioredis'
import { afterAll, describe, expect, inject, it } from 'vitest'
import type { DecisionRecord } from '../../src/learning/record.js'
import { RedisLearningStore } from '../../src/learning/redis-store.js'
import { parseClusterNodes } from '../../src/velocity/redis-store.js'
import { startRedis } from '../setup/redis-server.js'

const rec = (i: number): DecisionRecord => ({
  decision_id: `dec_${i}`,
  event_id_hash: `h${i}`,
  at: new Date(Date.UTC(2026, 11, 3, 0, 0, i)).toISOString(),
  event: 'login',
  decision: i % 7 === 0 ? 'challenge' : 'allow',
  score: i % 100,
  rules_version: 'sha256:abc',
  rules_action: 'allow',
  allow_listed: false,
  rules_score: 0,
  model: 'risk-gbt@1',
  model_score: i / 1000,
  degraded: [],
  schema: 'f00',
  vector: Buffer.from(new Float32Array([i, 1]).buffer).toString('base64'),
})

describe('the Redis learning store', () => {
  const prefix = `tlearn${Date.now().toString(36)}:`
  const admin = new Redis(inject('redisUrl'))
  afterAll(() => admin.disconnect())

  // a batch of 257 goes out as six calls of the append script (at most 50 records each)
  it.each([
    ['a single node', () => inject('redisUrl')],
    ['a 3-master cluster', () => ({ cluster: parseClusterNodes(inject('redisClusterNodes')) })],
  ] as const)('writes batches as one stream entry per record, in order, and reads every one back with its schema, on %s', async (where, target) => {
    const p = `${prefix}${where.replace(/\W+/g, '')}:`
    const store = new RedisLearningStore(target(), { prefix: p, maxLen: 100_000, queue: { maxQueue: 10_000, batch: 500, intervalMs: 5 } })
    const schema = { fingerprint: 'f00', names: ['a', 'b'] }
    for (let i = 0; i < 257; i++) store.record(rec(i), schema)
    await store.flush()
    expect(store.stats()).toMatchObject({ written: 257, dropped: 0, queued: 0 })
    const back: DecisionRecord[] = []
    for await (const r of store.decisions()) back.push(r)
    // one entry per record, none lost, none twice, in the order they were recorded
    expect(back).toEqual(Array.from({ length: 257 }, (_, i) => rec(i)))
    expect([...(await store.schemas()).entries()]).toEqual([['f00', ['a', 'b']]])
    await store.close()
  })

  it('still writes every record after Redis loses its script cache, non-ASCII text included', async () => {
    // its own redis-server: flushing the shared one's scripts would reach into other test files
    const own = await startRedis()
    const ownAdmin = new Redis(own.url)
    const p = `${prefix}noscript:`
    const store = new RedisLearningStore(own.url, { prefix: p, maxLen: 100_000, queue: { maxQueue: 10_000, batch: 500, intervalMs: 5 } })
    const schema = { fingerprint: 'f00', names: ['a', 'b'] }
    // the append goes by SHA on a single node: a flushed cache answers NOSCRIPT and the records go again by EVAL
    const utf8 = (i: number): DecisionRecord => ({ ...rec(i), rules_version: `règles-${i}-日本` })
    for (let i = 0; i < 60; i++) store.record(utf8(i), schema)
    await store.flush()
    await ownAdmin.script('FLUSH')
    for (let i = 60; i < 120; i++) store.record(utf8(i), schema)
    await store.flush()
    expect(store.stats()).toMatchObject({ written: 120, dropped: 0 })
    const back: DecisionRecord[] = []
    for await (const r of store.decisions()) back.push(r)
    expect(back).toEqual(Array.from({ length: 120 }, (_, i) => utf8(i)))
    await store.close()
    ownAdmin.disconnect()
    await own.stop()
  })

  it('trims the stream to about DECISIONS_MAX_LEN entries', async () => {
    const p = `${prefix}trim:`
    const store = new RedisLearningStore(inject('redisUrl'), { prefix: p, maxLen: 50, queue: { maxQueue: 10_000, batch: 500, intervalMs: 5 } })
    for (let i = 0; i < 1000; i++) store.record(rec(i), { fingerprint: 'f00', names: ['a', 'b'] })
    await store.flush()
    // approximate trimming (MAXLEN ~) drops whole radix-tree nodes, so a little over 50 stays; never all 1,000
    const len = await admin.xlen(`${p}{learn}:decisions`)
    expect(len).toBeGreaterThanOrEqual(50)
    expect(len).toBeLessThan(300)
    await store.close()
  })
})
