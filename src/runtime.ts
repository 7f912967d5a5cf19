import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './config.js'
import { Scorer, type DecisionLog } from './decision/scorer.js'
import type { Catalog } from './features/catalog.js'
import { Model, ModelLoadError, checkFeatures } from './model/model.js'
import { formatRuleError, loadRuleSet, RuleLoadError, type RuleError, type RuleSet } from './rules/ruleset.js'
import { DisposableDomains } from './signals/email.js'
import { AsnDb } from './signals/ipinfo.js'
import { UaAnalyzer } from './signals/useragent.js'
import { makeHasher, type Hasher } from './util/hash.js'
import { COUNTERS_FILE } from './velocity/counters.js'
import { MemoryStore } from './velocity/memory-store.js'
import { RedisStore, parseClusterNodes } from './velocity/redis-store.js'
import type { VelocityStore } from './velocity/store.js'

export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Data sets that cost a second to load are shared by every runtime in the process (tests build many). */
let shared: { asn: AsnDb; disposable: DisposableDomains } | undefined
export function sharedSignalData(): { asn: AsnDb; disposable: DisposableDomains } {
  shared ??= { asn: AsnDb.fromPackage(), disposable: new DisposableDomains() }
  return shared
}

/**
 * Calls `onQuiet` once the directories have had no change for `debounceMs` (editors and deploys write
 * several files in a row). A directory that cannot be watched (missing, unsupported) is skipped. Returns
 * the function that stops watching.
 */
function watchDebounced(dirs: string[], debounceMs: number, onQuiet: () => void): () => void {
  let timer: NodeJS.Timeout | undefined
  const watchers: FSWatcher[] = []
  const onChange = () => {
    clearTimeout(timer)
    timer = setTimeout(onQuiet, debounceMs)
  }
  for (const d of dirs) {
    try {
      watchers.push(watch(d, onChange))
    } catch {
      // not watchable: reloaded on demand only
    }
  }
  return () => {
    clearTimeout(timer)
    for (const w of watchers) w.close()
  }
}

/**
 * The rule set in force. A candidate is read, validated and compiled whole, then swapped in with one
 * assignment; a request reads `current` once, so it never sees a mix. A failed load keeps the last good
 * set and records the errors (GET /v1/rules shows them).
 */
export class RulesHolder {
  lastError: { at: string; errors: RuleError[] } | null = null
  private stopWatching: () => void = () => {}
  /** a further check on a candidate revision (the models in force must still find their features) */
  accept: (next: RuleSet) => RuleError | undefined = () => undefined

  constructor(public current: RuleSet, private readonly dir: string) {}

  reload(): { ok: true; version: string; changed: boolean } | { ok: false; errors: RuleError[] } {
    try {
      const next = loadRuleSet(this.dir)
      const refused = this.accept(next)
      if (refused) throw new RuleLoadError([refused])
      const changed = next.version !== this.current.version
      // An unchanged set keeps its object (and loaded_at): a touch of a file is not a new revision.
      if (changed) this.current = next
      this.lastError = null
      return { ok: true, version: this.current.version, changed }
    } catch (err) {
      const errors = err instanceof RuleLoadError ? err.errors : [{ file: this.dir, line: 1, column: 1, message: String(err) }]
      this.lastError = { at: new Date().toISOString(), errors }
      return { ok: false, errors }
    }
  }

  /**
   * Reload when a rule or list file changes, once the directory has been quiet for `debounceMs`
   * (editors and deploys write several files). Deploy by atomic rename where possible.
   */
  watch(log: Logger, debounceMs = 150): void {
    this.stopWatching = watchDebounced([this.dir, join(this.dir, 'lists')], debounceMs, () => {
      const r = this.reload()
      if (r.ok && r.changed) log.info({ rules_version: r.version }, 'rules reloaded')
      else if (!r.ok) log.error({ errors: r.errors.map(formatRuleError) }, 'rules change rejected; the last good set keeps serving')
    })
  }

  unwatch(): void {
    this.stopWatching()
  }
}

/**
 * The model in force. A candidate directory is loaded and verified (card schema, features, sha256,
 * onnxruntime) before one assignment swaps it in; the old session is released a little later, once the
 * requests that were using it have finished. A failed load keeps the last good model and records why.
 */
export class ModelHolder {
  lastError: { at: string; file: string; line: number; message: string } | null = null
  loadedAt = new Date().toISOString()
  private stopWatching: () => void = () => {}
  private reloading: Promise<unknown> = Promise.resolve()

  constructor(
    public current: Model,
    private readonly dir: string,
    /** the catalog a candidate's features are checked against: the rules revision in force */
    private readonly catalog: () => Catalog,
    private readonly retireAfterMs = 5000,
  ) {}

  reload(): Promise<{ ok: true; version: string; changed: boolean } | { ok: false; error: string }> {
    // one reload at a time, in order
    const run = this.reloading.then(async () => {
      try {
        const next = await Model.load(this.dir, this.catalog())
        const changed = next.card.onnx.sha256 !== this.current.card.onnx.sha256 || next.card.version !== this.current.card.version || JSON.stringify(next.card.thresholds) !== JSON.stringify(this.current.card.thresholds)
        if (!changed) {
          await next.close()
          this.lastError = null
          return { ok: true as const, version: this.current.version, changed }
        }
        const old = this.current
        this.current = next
        this.loadedAt = new Date().toISOString()
        this.lastError = null
        setTimeout(() => void old.close().catch(() => {}), this.retireAfterMs).unref()
        return { ok: true as const, version: next.version, changed }
      } catch (err) {
        const e = err instanceof ModelLoadError ? err : new ModelLoadError(this.dir, 1, String(err))
        this.lastError = { at: new Date().toISOString(), file: e.file, line: e.line, message: e.message }
        return { ok: false as const, error: e.message }
      }
    })
    this.reloading = run
    return run
  }

  watch(log: Logger, debounceMs = 300): void {
    this.stopWatching = watchDebounced([this.dir], debounceMs, () => {
      void this.reload().then((r) => {
        if (r.ok && r.changed) log.info({ model_version: r.version }, 'model reloaded')
        else if (!r.ok) log.error({ error: r.error }, 'model change rejected; the last good model keeps serving')
      })
    })
  }

  unwatch(): void {
    this.stopWatching()
  }
}

export interface Runtime {
  scorer: Scorer
  store: VelocityStore
  rules: RulesHolder
  models: ModelHolder
  /** scored in shadow beside the champion and logged, never used for the decision */
  challenger: Model | null
  hash: Hasher
  close(): Promise<void>
}

export interface RuntimeOptions {
  store?: VelocityStore
  clock?: () => number
  decisionLog?: (line: DecisionLog) => void
  /** quiet time before a changed rules directory is reloaded (default 150 ms) */
  rulesDebounceMs?: number
}

/** Everything the scoring path needs, loaded and checked once. Throws on a bad rule set or model. */
export async function createRuntime(config: Config, log: Logger, opts: RuntimeOptions = {}): Promise<Runtime> {
  const rules = new RulesHolder(loadRuleSet(config.rulesDir), config.rulesDir)
  if (config.rulesWatch) rules.watch(log, opts.rulesDebounceMs)
  const catalog = () => rules.current.catalog
  const models = new ModelHolder(await Model.load(config.modelDir, catalog()), config.modelDir, catalog)
  if (config.rulesWatch) models.watch(log, opts.rulesDebounceMs)
  const challenger = config.challengerModelDir ? await Model.load(config.challengerModelDir, catalog()) : null
  // A counters change that drops a feature a model in force reads is refused like any broken rule.
  rules.accept = (next) => {
    for (const m of [models.current, challenger]) {
      if (!m) continue
      const bad = checkFeatures(m.card, next.catalog)
      if (bad) return { file: join(config.rulesDir, COUNTERS_FILE), line: 1, column: 1, message: `model ${m.id}@${m.version}: ${bad}` }
    }
    return undefined
  }
  let store = opts.store
  if (!store) {
    if (config.redisClusterNodes) {
      store = new RedisStore({ cluster: parseClusterNodes(config.redisClusterNodes) }, config.redisTimeoutMs)
      log.info({ store: 'redis-cluster', nodes: config.redisClusterNodes }, 'velocity counters on a Redis Cluster')
    } else if (config.redisUrl) {
      store = new RedisStore(config.redisUrl, config.redisTimeoutMs)
    } else {
      store = new MemoryStore()
      log.warn(
        { store: 'memory' },
        '!!! VELOCITY COUNTERS ARE IN-MEMORY: not shared between instances and lost on restart. Set REDIS_URL (or REDIS_CLUSTER_NODES) for production. !!!',
      )
    }
  }
  if (config.piiSecretIsDefault) log.warn({}, 'PII_SECRET is not set: identifiers are hashed with a public development secret. Set PII_SECRET in production.')
  // Event ids are unique, so they would only push recurring identifiers out of the hasher's memory.
  const hash = makeHasher(config.piiSecret, { cacheSize: 50_000, uncached: ['event', 'decision'] })
  const data = sharedSignalData()
  const scorer = new Scorer({
    store,
    rules: () => rules.current,
    model: () => models.current,
    challenger: () => challenger,
    signals: { asn: data.asn, disposable: data.disposable, ua: new UaAnalyzer(), hash },
    hash,
    keyPrefix: config.redisPrefix,
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
    rules,
    models,
    challenger,
    hash,
    async close() {
      rules.unwatch()
      models.unwatch()
      await store.close()
      await models.current.close()
      await challenger?.close()
    },
  }
}
