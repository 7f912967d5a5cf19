import type { Config } from './config.js'
import { PolicyHolder, type Logger } from './policy/holder.js'
import { Scorer } from './scoring/scorer.js'
import type { DecisionLog } from './scoring/decision-log.js'
import { sharedSignalData } from './signals/shared-data.js'
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
  close(): Promise<void>
}

export interface RuntimeOptions {
  store?: VelocityStore
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

/** Everything the scoring path needs, loaded and checked once. Throws on a bad rule set or model. */
export async function createRuntime(config: Config, log: Logger, opts: RuntimeOptions = {}): Promise<Runtime> {
  if (config.piiSecretIsDefault) log.warn({}, 'PII_SECRET is not set: identifiers are hashed with a public development secret. Set PII_SECRET in production.')
  // Event ids are unique, so they would only push recurring identifiers out of the hasher's memory.
  const hash = makeHasher(config.piiSecret, { cacheSize: 50_000, uncached: ['event', 'decision'] })
  const data = sharedSignalData()
  const policy = await PolicyHolder.load(
    { rules: config.rulesDir, model: config.modelDir, challenger: config.challengerModelDir },
    { keyPrefix: config.redisPrefix, signals: { asn: data.asn, disposable: data.disposable, ua: new UaAnalyzer(), hash } },
  )
  if (config.rulesWatch) policy.watch(log, { rules: opts.rulesDebounceMs ?? 150, model: opts.rulesDebounceMs ?? 300 })
  const store = opts.store ?? openStore(config, log)
  const scorer = new Scorer({
    store,
    policy: () => policy.current,
    hash,
    idempotencyTtlMs: config.idempotencyTtlS * 1000,
    mode: 'live',
    degradedFloor: config.degradedFloor,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.decisionLog ? { log: opts.decisionLog } : {}),
    onError: (where, err) => log.warn({ where, err: String(err) }, 'scoring stage failed; decision degraded'),
  })
  return {
    scorer,
    store,
    policy,
    hash,
    async close() {
      await store.close()
      await policy.close()
    },
  }
}
