import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { createRuntime } from './runtime.js'

let config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    for (const i of err.issues) console.error(`config error: ${i.variable}: ${i.message}`)
    process.exit(78)
  }
  throw err
}

// The decision log is a line per request: written asynchronously in 4 KiB chunks rather than one write(2)
// per line (that write was ~4% of the service's CPU under load), flushed every 250 ms and on shutdown.
const logDest = pino.destination({ dest: 1, sync: false, minLength: 4096 })
// Quiet periods still see their lines within a quarter second.
setInterval(() => {
  try {
    logDest.flush()
  } catch {
    // not open yet
  }
}, 250).unref()
const flushLog = () => {
  try {
    logDest.flushSync()
  } catch {
    // not open yet: nothing buffered
  }
}
const log = pino({ level: config.logLevel, redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } }, logDest)

let apiKeys = config.apiKeys
let adminKeys = config.adminKeys
// A worker finds the primary's development keys in its environment, so only the primary makes them.
if ((!apiKeys || apiKeys.length === 0) && cluster.isPrimary) {
  const key = `bk_dev_${randomBytes(18).toString('base64url')}`
  apiKeys = [key]
  if (adminKeys.length === 0) adminKeys = [`bk_admin_dev_${randomBytes(18).toString('base64url')}`]
  process.env.API_KEYS = key
  process.env.ADMIN_KEYS = adminKeys.join(',')
  // Printed once, to stderr, so it is visible but never lands in the JSON decision log.
  process.stderr.write(
    `\n  WARNING: API_KEYS is not set; generated development keys for this run only:\n` +
      `    API key:   ${key}\n    admin key: ${adminKeys[0]}\n` +
      `  Try: curl -s localhost:${config.port}/v1/score -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d @examples/registration.json\n\n`,
  )
}

// WORKERS=n: the primary only forks n workers that share the port (node:cluster hands out connections)
// and passes shutdown signals on; each worker is a whole service with its own Redis connection.
if (config.workers > 1 && cluster.isPrimary) {
  log.info({ workers: config.workers }, 'starting workers')
  for (let i = 0; i < config.workers; i++) cluster.fork()
  let stopping = false
  cluster.on('exit', (w, code) => {
    if (stopping) return
    log.error({ worker: w.process.pid, code }, 'worker exited; starting another')
    cluster.fork()
  })
  const stop = () => {
    stopping = true
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
    const t = setTimeout(() => process.exit(0), 12_000)
    t.unref()
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        flushLog()
        process.exit(0)
      }
    })
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
} else {
  let runtime
  try {
    runtime = await createRuntime(config, log, { decisionLog: (line) => log.info({ decision: line }, 'decision') })
  } catch (err) {
    log.fatal({ err }, 'cannot start: rules or model failed to load')
    flushLog()
    process.exit(1)
  }

  // Per-request access logs are off (level warn): the decision log is the one line per request.
  const app = await buildApp(config, { runtime, apiKeys: apiKeys ?? [], adminKeys, metricsKeys: config.metricsKeys, logger: log.child({ component: 'http' }, { level: 'warn' }) })
  closeWithGrace({ delay: 10_000 }, async ({ err }) => {
    if (err) log.error({ err }, 'shutting down after error')
    await app.close()
    await runtime.close()
    flushLog()
  })
  await app.listen({ port: config.port, host: config.host, backlog: 4096 })
  log.info({ port: config.port, store: runtime.store.kind, rules: runtime.policy.current.rules.version, model: runtime.policy.current.model?.version }, 'bouncer listening')
}
