import { startRedis } from '../test/setup/redis-server.js'
import { freshEvent, readCorpus } from '../loadtest/corpus.js'
import { serve } from '../loadtest/proc.js'
import { cliArgs } from '../src/offline/cli/args.js'
import { Client } from './http-client.js'
import { machine, writeResult } from './machine.js'
import { openLoop } from './open-loop.js'

/**
 * SIGTERM under load: the service (src/server.ts on a real redis-server) takes open-loop traffic at --rate,
 * gets SIGTERM at --at seconds, and every request sent is classified: answered 200, refused 503 with or
 * without Retry-After, refused at connect (the port has closed: a fast, clean failure), or lost on a connection
 * that closed under it (what a storefront sees as a reset). The last two 503 kinds and the losses are what a
 * drain must avoid.
 */
const a = cliArgs(
  process.argv.slice(2),
  { rate: 'number', seconds: 'number', at: 'number', dir: 'string' },
  'npm run bench:shutdown -- [--rate 2000] [--seconds 6] [--at 3] [--dir CHECKOUT]\n  SIGTERM to the service under open-loop load at --rate for --seconds, sent --at seconds in; counts each outcome; --dir runs the service of another checkout (a git worktree) to compare\n',
)
const rate = (a.rate as number | undefined) ?? 2000
const seconds = (a.seconds as number | undefined) ?? 6
const at = (a.at as number | undefined) ?? 3

const KEY = 'bench-key-0123456789abcdef'
const corpus = readCorpus('mixed')
const redis = await startRedis()
const port = 3600 + Math.floor(Math.random() * 300)
const served = await serve('src/server.ts', port, { REDIS_URL: redis.url, API_KEYS: KEY, LOG_LEVEL: 'warn', RULES_WATCH: 'false' }, [], a.dir as string | undefined)
const client = new Client(served.url, { authorization: `Bearer ${KEY}` })
const counts = { ok: 0, shed_with_retry_after: 0, shed_without_retry_after: 0, other_status: 0, refused_at_connect: 0, lost_on_open_connection: 0 }
let afterSignal = 0
let signalled = false
const timer = setTimeout(() => {
  signalled = true
  served.proc.kill('SIGTERM')
}, at * 1000)
const exited = new Promise<number | null>((r) => served.proc.once('exit', (c) => r(c)))
const run = await openLoop(rate, seconds, async (k) => {
  if (signalled) afterSignal++
  try {
    const r = await client.post('/v1/score', freshEvent(corpus[k % corpus.length]!, 'sd', k))
    if (r.status === 200) counts.ok++
    else if (r.status === 503) {
      if (/\r\nretry-after:/i.test(r.head)) counts.shed_with_retry_after++
      else counts.shed_without_retry_after++
    } else counts.other_status++
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') counts.refused_at_connect++
    else counts.lost_on_open_connection++
    throw err
  }
})
clearTimeout(timer)
const code = await exited
client.close()
await redis.stop()
const result = { machine: machine(), rate, seconds, sigterm_at_s: at, requests: run.requests, sent_after_sigterm: afterSignal, exit_code: code, ...counts }
console.log(JSON.stringify(result, null, 2))
console.log(`wrote ${writeResult('shutdown', result)}`)
