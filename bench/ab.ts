import { execFileSync } from 'node:child_process'
import { existsSync, rmSync, symlinkSync } from 'node:fs'
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { parseArgs } from '../src/offline/cli/args.js'
import { freshEvent, readCorpus } from '../loadtest/corpus.js'
import { isDegraded } from '../loadtest/run.js'
import { startRedis } from '../test/setup/redis-server.js'
import { Client } from './http-client.js'
import { machine, writeResult } from './machine.js'
import { openLoop, percentiles } from './open-loop.js'
import { measureCpu, serve } from '../loadtest/proc.js'

/**
 * Two versions of the service, alternately, under the same open-loop load against one redis-server:
 * CPU per request of the service and of Redis, and latency. This machine's speed drifts by more than
 * most single changes gain, so only alternating runs of both versions compare them.
 *   npm run bench:ab -- --base REV [--rate 1800] [--seconds 10] [--rounds 3]
 * REV is checked out into .tmp/ab-base (a git worktree sharing this node_modules) and runs there, with its
 * own rules and model; both versions get this checkout's corpus and load generator.
 */
const a = parseArgs(process.argv.slice(2), { base: 'string', rate: 'number', seconds: 'number', rounds: 'number' })
const base = a.base as string | undefined
if (!base) throw new Error('--base REV is required (a commit, tag or branch)')
const rate = (a.rate as number | undefined) ?? 1800
const seconds = (a.seconds as number | undefined) ?? 10
const rounds = (a.rounds as number | undefined) ?? 3

const dir = resolve('.tmp/ab-base')
if (existsSync(dir)) execFileSync('git', ['worktree', 'remove', '--force', dir])
rmSync(dir, { recursive: true, force: true })
execFileSync('git', ['worktree', 'add', '--detach', dir, base], { stdio: 'ignore' })
symlinkSync(resolve('node_modules'), `${dir}/node_modules`)
const rev = execFileSync('git', ['rev-parse', '--short', base]).toString().trim()
const head = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim()

const KEY = 'bench-key-0123456789abcdef'
const corpus = readCorpus('mixed')
const redis = await startRedis()
// each run meets an empty Redis, so a later round does not count the corpus's identifiers again
const admin = new Redis(redis.url)
// each version runs in its own checkout, with its own rules and model
const versions: [string, string | undefined][] = [
  [`base ${rev}`, dir],
  [`this ${head}`, undefined],
]
const rows: Record<string, unknown>[] = []
let port = 3940
for (let r = 0; r < rounds; r++) {
  for (const [name, cwd] of versions) {
    const s = await serve('src/server.ts', ++port, { REDIS_URL: redis.url, API_KEYS: KEY, RULES_WATCH: 'false' }, [], cwd)
    const client = new Client(s.url, { authorization: `Bearer ${KEY}` })
    const tag = `${Date.now().toString(36)}${r}`
    await openLoop(1000, 3, (k) => client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, `${tag}w`, k)))
    let non200 = 0
    let degraded = 0
    await admin.flushall()
    const m = await measureCpu({ service: s.proc.pid!, redis: redis.pid }, () =>
      openLoop(rate, seconds, async (k) => {
        const res = await client.post('/v1/score', freshEvent(corpus[(k + 5000) % corpus.length]!, tag, k))
        if (res.status !== 200) non200++
        else if (isDegraded(res.body)) degraded++
      }),
    )
    const p = percentiles(m.result.latencies)
    // from unrounded CPU seconds: cores rounded to 0.01 would make 5 µs steps at 2,000/s
    const perReq = (used: number | null | undefined) => (used == null ? null : Math.round((used * 1e6) / (rate * seconds)))
    const row = { version: name, round: r + 1, service_us: perReq(m.used.service), redis_us: perReq(m.used.redis), generator_us: perReq(m.used.generator), p50_ms: p.p50, p99_ms: p.p99, errors: m.result.errors + non200, degraded }
    rows.push(row)
    console.log(`${name.padEnd(16)} round ${r + 1}: service ${row.service_us} µs/req, redis ${row.redis_us} µs/req, generator ${row.generator_us}; p50 ${p.p50} ms, p99 ${p.p99} ms, errors ${row.errors}, degraded ${degraded}`)
    client.close()
    await s.stop()
  }
}
admin.disconnect()
await redis.stop()
execFileSync('git', ['worktree', 'remove', '--force', dir])
const mc = machine()
console.log(`${mc.cpus}x ${mc.cpu}, node ${mc.node}; ${rate}/s for ${seconds} s per run; written to ${writeResult('ab', { base: rev, head, rate, seconds, rows })}`)
