import { performance } from 'node:perf_hooks'
import { parseArgs } from '../src/offline/cli/args.js'
import { startRedis } from '../test/setup/redis-server.js'
import { freshEvent, readCorpus } from '../loadtest/corpus.js'
import { Client } from './http-client.js'
import { machine, writeResult } from './machine.js'
import { openLoop, percentiles } from './open-loop.js'
import { serve } from '../loadtest/proc.js'

/**
 * The service's garbage collector against its latency tail: runs src/server.ts with --trace-gc against a
 * real redis-server at a fixed rate, and puts each slow stretch of requests (50 ms bins) beside the
 * mark-compacts of the main heap and the old generation's growth over the measured phase. Extra environment
 * passes through to the service (DECISIONS_STORE=off, LOG_LEVEL=warn to compare).
 *   npm run bench:gc -- [--rate 2000] [--seconds 20] [--slow-ms 15] [--preconnect]
 */
const a = parseArgs(process.argv.slice(2), { rate: 'number', seconds: 'number', 'slow-ms': 'number', preconnect: 'boolean' })
const rate = (a.rate as number | undefined) ?? 2000
const seconds = (a.seconds as number | undefined) ?? 20
const slowMs = (a['slow-ms'] as number | undefined) ?? 15
const KEY = 'bench-key-0123456789abcdef'
const port = 3978

const redis = await startRedis()
const spawned = performance.now()
// --trace-gc writes to stdout beside the decision log: keep its lines
interface GcLine {
  isolate: string
  /** ms since the isolate started, as V8 prints it */
  at: number
  kind: 'scavenge' | 'mark-compact'
  afterMb: number
  pauseMs: number
  text: string
}
const gc: GcLine[] = []
let rest = ''
const served = await serve('src/server.ts', port, { API_KEYS: KEY, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', RULES_WATCH: 'false', PII_SECRET: 'bench-secret-0123456789abcdef', REDIS_URL: redis.url }, ['--trace-gc'], undefined, (d) => {
  const lines = (rest + d.toString()).split('\n')
  rest = lines.pop() ?? ''
  for (const l of lines) {
    const m = /^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: (Scavenge|Mark-Compact)[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+)/.exec(l)
    if (m) gc.push({ isolate: m[1]!, at: Number(m[2]), kind: m[3] === 'Scavenge' ? 'scavenge' : 'mark-compact', afterMb: Number(m[4]), pauseMs: Number(m[5]), text: l.trim() })
  }
})
const url = served.url
const corpus = readCorpus('mixed')
const client = new Client(url, { authorization: `Bearer ${KEY}` })
const tag = Date.now().toString(36)
await openLoop(500, 3, (k) => client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, `${tag}w`, k)), 'warm-up at 500/s')
// --preconnect: open 64 connections before the measured phase, as bench:service's option does; without it
// the client opens them as the load steps from 500/s to the rate, and the first ~200 ms are slow for it
if (a.preconnect) for (let r = 0; r < 3; r++) await Promise.all(Array.from({ length: 64 }, (_, j) => client.post('/v1/score', freshEvent(corpus[j]!, `${tag}p${r}`, j)).catch(() => {})))
// the isolate's clock starts about when it was spawned: close enough to place 50 ms bins
const from = performance.now() - spawned + 20
const r = await openLoop(rate, seconds, (k) => client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, tag, k)))
const to = from + r.seconds * 1000
client.close()
await served.stop('SIGINT')
await redis.stop()

// the main isolate logs the most collections (a worker thread, if any, fewer)
const counts = new Map<string, number>()
for (const g of gc) counts.set(g.isolate, (counts.get(g.isolate) ?? 0) + 1)
const main = [...counts.entries()].sort((p, q) => q[1] - p[1])[0]?.[0]
const during = gc.filter((g) => g.isolate === main && g.at >= from && g.at <= to)
const scavenges = during.filter((g) => g.kind === 'scavenge')
const compacts = during.filter((g) => g.kind === 'mark-compact')
// growth between collections: the heap after each scavenge, up to the first mark-compact
const firstCompact = compacts[0]?.at ?? Infinity
const before = scavenges.filter((g) => g.at < firstCompact)
const growth = before.length > 1 ? ((before.at(-1)!.afterMb - before[0]!.afterMb) / (before.at(-1)!.at - before[0]!.at)) * 1000 : null
const bins = new Map<number, { slow: number; maxMs: number; lagMs: number }>()
for (let k = 0; k < r.requests; k++) {
  const l = r.latencies[k]!
  if (l <= slowMs) continue
  const b = Math.floor(from + (k * 1000) / rate) - (Math.floor(from + (k * 1000) / rate) % 50)
  const e = bins.get(b) ?? { slow: 0, maxMs: 0, lagMs: 0 }
  e.slow++
  e.maxMs = Math.max(e.maxMs, l)
  e.lagMs = Math.max(e.lagMs, r.lag[k]!)
  bins.set(b, e)
}
const episodes = [...bins.entries()].map(([at, e]) => ({ at_ms: at, slow: e.slow, max_ms: Math.round(e.maxMs), sender_lag_max_ms: Math.round(e.lagMs), mark_compact_within_100ms: compacts.some((c) => Math.abs(c.at - at) <= 100) }))
const m = machine()
const lat = percentiles(r.latencies)
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${r.requests} requests at ${rate}/s, ${r.errors} errors; p50 ${lat.p50} p99 ${lat.p99} p99.9 ${lat.p99_9} max ${lat.max} ms`)
console.log(`main heap during the phase: ${scavenges.length} scavenges (pause p50 ${percentiles(scavenges.map((g) => g.pauseMs)).p50} ms, max ${Math.max(0, ...scavenges.map((g) => g.pauseMs))} ms), ${compacts.length} mark-compacts; old generation ${growth === null ? 'n/a' : `${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB/s`} before the first`)
for (const c of compacts) console.log(`  ${c.text.slice(0, 110)} … ${c.text.slice(c.text.lastIndexOf(')') + 2)}`)
const near = episodes.filter((e) => e.mark_compact_within_100ms).reduce((s, e) => s + e.slow, 0)
const slowTotal = episodes.reduce((s, e) => s + e.slow, 0)
console.log(`requests over ${slowMs} ms: ${slowTotal}, of which ${near} within 100 ms of a mark-compact; by 50 ms bin (ms since start: slow/max ms/the sender's lag, * = mark-compact):`)
console.log(`  ${episodes.map((e) => `${e.at_ms}:${e.slow}/${e.max_ms}/${e.sender_lag_max_ms}${e.mark_compact_within_100ms ? '*' : ''}`).join(' ')}`)
console.log(`written to ${writeResult('gc', { rate, seconds, env: { DECISIONS_STORE: process.env.DECISIONS_STORE ?? null, LOG_LEVEL: process.env.LOG_LEVEL ?? null }, latency_ms: lat, scavenges: scavenges.length, mark_compacts: compacts.map((c) => ({ at_ms: c.at, pause_ms: c.pauseMs, after_mb: c.afterMb })), old_generation_mb_per_s: growth, slow_ms: slowMs, slow_requests: slowTotal, slow_near_mark_compact: near, episodes })}`)
