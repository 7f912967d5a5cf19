import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './config.js'
import { Scorer, type DecisionLog } from './decision/scorer.js'
import { Model } from './model/model.js'
import { formatRuleError, loadRuleSet, RuleLoadError, type RuleError, type RuleSet } from './rules/ruleset.js'
import { DisposableDomains } from './signals/email.js'
import { AsnDb } from './signals/ipinfo.js'
import { UaAnalyzer } from './signals/useragent.js'
import { makeHasher, type Hasher } from './util/hash.js'
import { CounterPlan } from './velocity/counters.js'
import { MemoryStore } from './velocity/memory-store.js'
import { RedisStore } from './velocity/redis-store.js'
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
 * The rule set in force. A candidate is read, validated and compiled whole, then swapped in with one
 * assignment; a request reads `current` once, so it never sees a mix. A failed load keeps the last good
 * set and records the errors (GET /v1/rules shows them).
 */
export class RulesHolder {
  lastError: { at: string; errors: RuleError[] } | null = null
  private watchers: FSWatcher[] = []
  private timer: NodeJS.Timeout | undefined
  constructor(public current: RuleSet, private readonly dir: string) {}

  reload(): { ok: true; version: string; changed: boolean } | { ok: false; errors: RuleError[] } {
    try {
      const next = loadRuleSet(this.dir)
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
    const onChange = () => {
      clearTimeout(this.timer)
      this.timer = setTimeout(() => {
        const r = this.reload()
        if (r.ok && r.changed) log.info({ rules_version: r.version }, 'rules reloaded')
        else if (!r.ok) log.error({ errors: r.errors.map(formatRuleError) }, 'rules change rejected; the last good set keeps serving')
      }, debounceMs)
    }
    for (const d of [this.dir, join(this.dir, 'lists')]) {
      try {
        this.watchers.push(watch(d, onChange))
      } catch {
        // a missing lists/ directory is fine
      }
    }
  }

  unwatch(): void {
    clearTimeout(this.timer)
    for (const w of this.watchers) w.close()
    this.watchers = []
  }
}

export interface Runtime {
  scorer: Scorer
  store: VelocityStore
  rules: RulesHolder
  model: Model
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
  const model = await Model.load(config.modelDir)
  let store = opts.store
  if (!store) {
    if (config.redisUrl) {
      store = new RedisStore(config.redisUrl, config.redisTimeoutMs)
    } else {
      store = new MemoryStore()
      log.warn(
        { store: 'memory' },
        '!!! VELOCITY COUNTERS ARE IN-MEMORY: not shared between instances and lost on restart. Set REDIS_URL for production. !!!',
      )
    }
  }
  if (config.piiSecretIsDefault) log.warn({}, 'PII_SECRET is not set: identifiers are hashed with a public development secret. Set PII_SECRET in production.')
  const hash = makeHasher(config.piiSecret)
  const data = sharedSignalData()
  const scorer = new Scorer({
    store,
    rules: () => rules.current,
    model: () => model,
    signals: { asn: data.asn, disposable: data.disposable, ua: new UaAnalyzer(), hash },
    hash,
    counters: new CounterPlan(config.redisPrefix),
    keyPrefix: config.redisPrefix,
    idempotencyTtlMs: config.idempotencyTtlS * 1000,
    mode: 'live',
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.decisionLog ? { log: opts.decisionLog } : {}),
    onError: (where, err) => log.warn({ where, err: String(err) }, 'scoring stage failed; decision degraded'),
  })
  return {
    scorer,
    store,
    rules,
    model,
    hash,
    async close() {
      rules.unwatch()
      await store.close()
      await model.close()
    },
  }
}
