import { Redis } from 'ioredis'
import { ScoreRequest, type ScoreResponse } from '../src/events/schemas.js'
import { createRuntime } from '../src/runtime.js'
import { loadConfig } from '../src/config.js'
import { readCorpus } from '../loadtest/corpus.js'
import { startRedis } from '../test/setup/redis-server.js'
import { machine, writeResult } from './machine.js'

/**
 * Bytes per event of the idempotency record, as Redis holds it (MEMORY USAGE: key, value, object and TTL
 * overheads), in the compact format the service writes and in the previous one (the response as a JSON
 * object with `rh`), for the same answers; then what IDEMPOTENCY_TTL_S costs at a steady rate.
 *   npm run bench:idempotency [-- N]
 */
const N = Number(process.argv[2] ?? 5000)
const corpus = readCorpus('mixed').slice(0, N).map((l) => JSON.parse(l) as Record<string, unknown>)
const quiet = { info() {}, warn() {}, error() {} }
const redis = await startRedis()
const config = loadConfig({ RULES_WATCH: 'false', API_KEYS: 'bench-key-0123456789abcdef', REDIS_URL: redis.url })
const rt = await createRuntime(config, quiet)
await (rt.store as unknown as { ready(): Promise<void> }).ready()
const admin = new Redis(redis.url)
const tag = Date.now().toString(36)
const answers: ScoreResponse[] = []
for (const [i, b] of corpus.entries()) answers.push(await rt.scorer.score(ScoreRequest.parse({ ...b, event_id: `${String(b.event_id)}-${tag}-${i}` })))
await new Promise((r) => setTimeout(r, 500)) // the write-backs run behind the answers

const usage = async (keys: string[]) => {
  let bytes = 0
  for (const k of keys) bytes += Number(await admin.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'))
  return bytes / keys.length
}
const compactKeys: string[] = []
let cursor = '0'
do {
  const [next, keys] = await admin.scan(cursor, 'MATCH', '*{idem:*', 'COUNT', 1000)
  cursor = next
  compactKeys.push(...keys)
} while (cursor !== '0')
let compactValue = 0
for (const k of compactKeys) compactValue += await admin.strlen(k)
// the previous format, for the same answers, under keys of the same length with the same TTL
const legacyKeys = compactKeys.map((k) => k.replace('{idem:', '{idel:'))
let legacyValue = 0
for (const [i, key] of legacyKeys.entries()) {
  const value = JSON.stringify({ ...answers[i]!, rh: 'DbCVk64EMhwI45CnXdcc6I' })
  legacyValue += Buffer.byteLength(value)
  await admin.set(key, value, 'PX', config.idempotencyTtlS * 1000)
}
const result = {
  events: N,
  records: compactKeys.length,
  compact: { value_bytes: Math.round(compactValue / compactKeys.length), memory_usage_bytes: Math.round(await usage(compactKeys)) },
  previous: { value_bytes: Math.round(legacyValue / legacyKeys.length), memory_usage_bytes: Math.round(await usage(legacyKeys)) },
  ttl_s: config.idempotencyTtlS,
}
const at = (bytes: number, rate: number, ttl: number) => ((bytes * rate * ttl) / 1e9).toFixed(1)
console.log(`${result.records} records of ${N} events: compact ${result.compact.value_bytes} B value, ${result.compact.memory_usage_bytes} B in Redis; previous ${result.previous.value_bytes} B value, ${result.previous.memory_usage_bytes} B in Redis`)
for (const ttl of [86_400, 3_600]) console.log(`at 5,000 events/s with IDEMPOTENCY_TTL_S=${ttl}: ${at(result.compact.memory_usage_bytes, 5000, ttl)} GB compact, ${at(result.previous.memory_usage_bytes, 5000, ttl)} GB previous`)
await rt.close()
admin.disconnect()
await redis.stop()
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; written to ${writeResult('idempotency', result)}`)
process.exit(0)
