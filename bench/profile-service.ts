import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { startRedis } from '../test/setup/redis-server.js'
import { Client } from './http-client.js'
import { openLoop } from './open-loop.js'
import { serve } from '../loadtest/proc.js'
import { freshEvent, readCorpus } from '../loadtest/corpus.js'
import { machine, writeResult } from './machine.js'

/**
 * Profile the service under load: run src/server.ts with --cpu-prof against a real redis-server, send the
 * load corpus at a fixed rate, then print the functions with the most self time (and the .cpuprofile path,
 * which Chrome DevTools or speedscope open).
 *   npm run bench:profile -- [RATE] [SECONDS]
 */
const rate = Number(process.argv[2] ?? 1000)
const seconds = Number(process.argv[3] ?? 10)
const dir = '.tmp/profile'
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const redis = await startRedis()
const KEY = 'bench-key-0123456789abcdef'
const port = 3979
const env = { ...(process.env.STORE === 'memory' ? {} : { REDIS_URL: redis.url }), API_KEYS: KEY, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', RULES_WATCH: 'false' }
const served = await serve('src/server.ts', port, env, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
const corpus = readCorpus('mixed')
const client = new Client(served.url, { authorization: `Bearer ${KEY}` })
const tag = Date.now().toString(36)
const r = await openLoop(rate, seconds, (k) => client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, tag, k)))
console.log(`${r.requests} requests, ${r.errors} errors`)
client.close()
// SIGINT: a normal exit, so node writes the profile
await served.stop('SIGINT')
await redis.stop()

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
if (!file) throw new Error('no profile written')
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[]; endTime: number }
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
let total = 0
prof.samples.forEach((id, i) => {
  const n = byId.get(id)!
  const dt = prof.timeDeltas[i] ?? 0
  total += dt
  const f = n.callFrame
  const where = f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'node_modules/' : '')).replace(/^file:\/\//, '')
  const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + dt)
})
const top = [...self.entries()].sort((p, q) => q[1] - p[1]).slice(0, 30)
console.log(`profile ${join(dir, file)}: ${(total / 1e6).toFixed(1)} s sampled`)
console.log('self time:')
for (const [k, v] of top) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)

// Inclusive time: each function counted once per sample whose stack contains it.
const parent = new Map<number, number>()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const incl = new Map<string, number>()
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0
  const seen = new Set<string>()
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame
    const k = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-1)[0]}`
    if (!seen.has(k)) {
      seen.add(k)
      incl.set(k, (incl.get(k) ?? 0) + dt)
    }
  }
})
console.log('inclusive time:')
for (const [k, v] of [...incl.entries()].sort((p, q) => q[1] - p[1]).slice(0, 45)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)

// Where one event's CPU goes, by package and by source file: only the samples of the load phase (the profile's
// last `seconds`, plus the shutdown, which is idle), so start-up (module loading, the IP tables) is left out.
const group = (f: Node['callFrame']): string => {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : `native ${f.functionName || '(anonymous)'}`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)
  if (pkg) return `package ${pkg[1]}`
  const own = /\/(src|bench|loadtest)\/(.*)$/.exec(f.url)
  if (own) return `${own[1]}/${own[2]}`
  return f.url.startsWith('node:') ? `node ${f.url.slice(5).split('/')[0]}` : f.url
}
const from = prof.endTime - (seconds + 1.5) * 1e6
let at = prof.endTime - prof.timeDeltas.reduce((a, b) => a + b, 0)
const byGroup = new Map<string, number>()
prof.samples.forEach((id, i) => {
  at += prof.timeDeltas[i] ?? 0
  if (at < from) return
  const k = group(byId.get(id)!.callFrame)
  byGroup.set(k, (byGroup.get(k) ?? 0) + (prof.timeDeltas[i] ?? 0))
})
const perEvent = [...byGroup.entries()].filter(([k]) => k !== '(idle)').map(([k, v]): [string, number] => [k, Math.round((v / r.requests) * 10) / 10]).sort((p, q) => q[1] - p[1])
const busy = perEvent.reduce((sum, [, v]) => sum + v, 0)
const m = machine()
console.log(`\nCPU per event during the load (${m.cpus}x ${m.cpu}, node ${m.node}; ${rate}/s, profiler on): ${busy.toFixed(0)} µs in all`)
for (const [k, v] of perEvent.slice(0, 30)) console.log(`${v.toFixed(1).padStart(7)} µs  ${k}`)
console.log(`written to ${writeResult('profile', { rate, seconds, requests: r.requests, us_per_event: busy, by_part: Object.fromEntries(perEvent) })}`)
