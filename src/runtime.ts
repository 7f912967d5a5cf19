import type { Config } from './config.js'
import { PolicyHolder, type Logger } from './policy/holder.js'
import { Scorer } from './scoring/scorer.js'
import type { DecisionLog } from './scoring/decision-log.js'
import { sharedSignalData } from './signals/shared-data.js'
import { openLearningStore } from './learning/open.js'
import type { LearningStore } from './learning/store.js'
import { UaAnalyzer } from './signals/useragent.js'
import { makeHasher, type Hasher } from './util/hash.js'
import { MemoryStore } from './velocity/memory-store.js'
import { RedisStore, parseClusterNodes } from './velocity/redis-store.js'
import type { VelocityStore } from './velocity/store.js'

export type { Logger } from './policy/holder.js'

/** The composition root: the store, the policy in force and the scorer, built once from the config. */
export interface Runtime {
  scorer: Scorer
  store: VelocityStore
  policy: PolicyHolder
  hash: Hasher
  /** decision records and labels for training */
  learning: LearningStore
  close(): Promise<void>
}

export interface RuntimeOptions {
  store?: VelocityStore
  learning?: LearningStore
  clock?: () => number
  decisionLog?: (line: DecisionLog) => void
  /** quiet time before a changed rules or model directory is reloaded (default 150 ms and 300 ms) */
  rulesDebounceMs?: number
}

function openStore(config: Config, log: Logger): VelocityStore {
  if (config.redisClusterNodes) {
    log.info({ store: 'redis-cluster', nodes: config.redisClusterNodes }, 'velocity counters on a Redis Cluster')
    return new RedisStore({ cluster: parseClusterNodes(config.redisClusterNodes) }, config.redisTimeoutMs)
  }
  if (config.redisUrl) return new RedisStore(config.redisUrl, config.redisTimeoutMs)
  log.warn(
    { store: 'memory' },
    '!!! VELOCITY COUNTERS ARE IN-MEMORY: not shared between instances and lost on restart. Set REDIS_URL (or REDIS_CLUSTER_NODES) for production. !!!',
  )
  return new MemoryStore()
}

/** The learning store's settings from the config: the training CLI opens the same store from the same environment. */
export function learningTarget(config: Config): Parameters<typeof openLearningStore>[0] {
  return {
    kind: config.decisionsStore,
    decisionsFile: config.decisionsFile,
    labelsFile: config.feedbackFile,
    redis: config.redisClusterNodes ? { cluster: parseClusterNodes(config.redisClusterNodes) } : config.redisUrl,
    prefix: config.redisPrefix,
    maxLen: config.decisionsMaxLen,
  }
}

function openLearning(config: Config, log: Logger): LearningStore {
  const s = openLearningStore(learningTarget(config))
  if (s.kind === 'redis') log.info({ learning: s.where, max_len: config.decisionsMaxLen }, 'decision records and labels in Redis Streams')
  else if (config.decisionsStore === 'off') log.info({ labels: config.feedbackFile }, 'DECISIONS_STORE=off: no decision records are kept; labels still go to FEEDBACK_FILE')
  else log.info({ learning: s.where }, 'decision records and labels in local files (one instance only; set REDIS_URL to share them)')
  return s
}

/** Everything the scoring path needs, loaded and checked once. Throws on a bad rule set or model. */
export async function createRuntime(config: Config, log: Logger, opts: RuntimeOptions = {}): Promise<Runtime> {
  if (config.piiSecretIsDefault) log.warn({}, 'PII_SECRET is not set: identifiers are hashed with a public development secret. Set PII_SECRET in production.')
  // Event ids are unique, so they would only push recurring identifiers out of the hasher's memory.
  const hash = makeHasher(config.piiSecret, { cacheSize: 50_000, uncached: ['event', 'decision', 'req'] })
  const data = sharedSignalData()
  const policy = await PolicyHolder.load(
    { rules: config.rulesDir, model: config.modelDir, challenger: config.challengerModelDir },
    { keyPrefix: config.redisPrefix, signals: { asn: data.asn, disposable: data.disposable, ua: new UaAnalyzer(), hash } },
  )
  if (config.rulesWatch) policy.watch(log, { rules: opts.rulesDebounceMs ?? 150, model: opts.rulesDebounceMs ?? 300 })
  const store = opts.store ?? openStore(config, log)
  const stopWatch = store.health ? await watchStore(store, store.health.bind(store), log) : () => {}
  const learning = opts.learning ?? openLearning(config, log)
  const stopLearningWatch = watchLearning(learning, log)
  const scorer = new Scorer({
    store,
    policy: () => policy.current,
    hash,
    idempotencyTtlMs: config.idempotencyTtlS * 1000,
    mode: 'live',
    degradedFloor: config.degradedFloor,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.decisionLog ? { log: opts.decisionLog } : {}),
    ...(config.decisionsStore !== 'off' ? { learn: learning } : {}),
    onError: throttled((where, err, suppressed) => log.warn({ where, err, ...(suppressed ? { suppressed } : {}) }, 'scoring stage failed; decision degraded')),
  })
  return {
    scorer,
    store,
    policy,
    hash,
    learning,
    async close() {
      stopWatch()
      stopLearningWatch()
      await learning.close().catch((err: unknown) => log.warn({ err }, 'decision records not flushed at shutdown'))
      await store.close()
      await policy.close()
    },
  }
}

const WARN_EVERY_MS = 30_000

/**
 * Redis reachable or not is an operator's first question: a loud line at startup when it does not answer,
 * a warning every 30 s while it stays down, and a line when it is back. Returns the function that stops it.
 */
async function watchStore(store: VelocityStore, health: () => { connected: boolean; reason?: string }, log: Logger): Promise<() => void> {
  // the client's own connect timeout is 2 s: wait that long at boot, not longer
  await Promise.race([store.ready?.().catch(() => undefined), new Promise((r) => setTimeout(r, 2500).unref())])
  let down = !health().connected
  let since = Date.now()
  if (down) log.error({ store: store.kind, reason: health().reason }, '!!! REDIS UNREACHABLE AT STARTUP: every answer is degraded ["velocity"] (no velocity counters) and event_id retries are not recognised until it answers; see README, "When Redis is down" !!!')
  let lastWarn = Date.now()
  const timer = setInterval(() => {
    const h = health()
    if (h.connected && down) {
      log.info({ store: store.kind, down_s: Math.round((Date.now() - since) / 1000) }, 'Redis is back: velocity counters and retry protection restored')
      down = false
    } else if (!h.connected && !down) {
      log.error({ store: store.kind, reason: h.reason }, 'Redis connection lost: answers are degraded ["velocity"] until it is back')
      down = true
      since = lastWarn = Date.now()
    } else if (!h.connected && Date.now() - lastWarn >= WARN_EVERY_MS) {
      log.warn({ store: store.kind, reason: h.reason, down_s: Math.round((Date.now() - since) / 1000) }, 'Redis still unreachable: answers are degraded ["velocity"]')
      lastWarn = Date.now()
    }
  }, 1000)
  timer.unref()
  return () => clearInterval(timer)
}

/** Decision records dropped (the store slow or down) are said every 30 s while it lasts, with the count. */
function watchLearning(learning: LearningStore, log: Logger): () => void {
  let dropped = 0
  const timer = setInterval(() => {
    const s = learning.stats()
    if (s.dropped > dropped) log.warn({ learning: learning.where, dropped: s.dropped - dropped, queued: s.queued, reason: s.lastError }, 'decision records dropped: the learning store is not keeping up')
    dropped = s.dropped
  }, WARN_EVERY_MS)
  timer.unref()
  return () => clearInterval(timer)
}

/** At most one log line per stage every 10 s, counting the ones left out: an outage must not flood the log. */
function throttled(logIt: (where: string, err: unknown, suppressed: number) => void, everyMs = 10_000): (where: string, err: unknown) => void {
  const last = new Map<string, { at: number; suppressed: number }>()
  return (where, err) => {
    const now = Date.now()
    const l = last.get(where)
    if (l && now - l.at < everyMs) {
      l.suppressed++
      return
    }
    logIt(where, err, l?.suppressed ?? 0)
    last.set(where, { at: now, suppressed: 0 })
  }
}
