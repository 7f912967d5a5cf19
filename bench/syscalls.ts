import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedis } from '../test/setup/redis-server.js'
import { Client } from './http-client.js'
import { openLoop } from './open-loop.js'
import { serve } from '../loadtest/proc.js'
import { freshEvent, readCorpus } from '../loadtest/corpus.js'
import { machine, writeResult } from './machine.js'

/**
 * System calls per scored event, for the service and for Redis: the load corpus at a fixed rate while
 * `strace -c -f` counts each process's calls. A system call costs this VM 10-40 µs of CPU, so the writes,
 * reads and wake-ups per event bound what the service's CPU per event can fall to. strace slows what it
 * traces, so read the counts, not the times.
 *   npm run bench:syscalls -- [RATE] [SECONDS]   (needs the Debian package strace)
 */
const rate = Number(process.argv[2] ?? 2000)
const seconds = Number(process.argv[3] ?? 5)
if (spawnSync('strace', ['-V']).error) {
  console.error('strace is not installed: apt-get install -y strace')
  process.exit(2)
}
const redis = await startRedis()
const KEY = 'bench-key-0123456789abcdef'
const served = await serve('src/server.ts', 3981, { REDIS_URL: redis.url, API_KEYS: KEY, LOG_LEVEL: 'info', RULES_WATCH: 'false' })
const corpus = readCorpus('mixed')
const client = new Client(served.url, { authorization: `Bearer ${KEY}` })
const tag = Date.now().toString(36)
// warm the connections and the JIT before counting
await openLoop(rate, 2, (k) => client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, `${tag}w`, k)))

const dir = mkdtempSync(join(tmpdir(), 'bouncer-strace-'))
const traced = { service: served.proc.pid!, redis: redis.pid }
const tracers = Object.entries(traced).map(([name, pid]) => {
  const out = join(dir, `${name}.txt`)
  const p = spawn('strace', ['-c', '-f', '-o', out, '-p', String(pid)], { stdio: 'ignore' })
  return { name, out, p, exited: new Promise((r) => p.once('exit', r)) }
})
await new Promise((r) => setTimeout(r, 500))
const r = await openLoop(rate, seconds, (k) => client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, tag, k)))
for (const t of tracers) t.p.kill('SIGINT')
await Promise.all(tracers.map((t) => t.exited))
client.close()
await served.stop()
await redis.stop()

/** strace -c's table: calls per syscall */
function parse(file: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line)
    if (m && m[2] !== 'total') out[m[2]!] = Number(m[1])
  }
  return out
}
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}; ${r.requests} events at ${rate}/s, ${r.errors} errors; system calls per event:`)
const result: Record<string, Record<string, number>> = {}
for (const t of tracers) {
  const calls = parse(t.out)
  const per: Record<string, number> = Object.fromEntries(Object.entries(calls).map(([k, v]): [string, number] => [k, Math.round((v / r.requests) * 100) / 100]).sort((a, b) => b[1] - a[1]))
  result[t.name] = per
  const total = Object.values(per).reduce((s, v) => s + v, 0)
  console.log(`  ${t.name}: ${total.toFixed(2)} in all; ${Object.entries(per).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k} ${v}`).join(', ')}`)
}
rmSync(dir, { recursive: true, force: true })
console.log(`written to ${writeResult('syscalls', { rate, seconds, events: r.requests, errors: r.errors, per_event: result })}`)
