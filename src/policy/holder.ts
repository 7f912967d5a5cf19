import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'
import { Model, ModelLoadError } from '../model/model.js'
import { formatRuleError, loadRuleSet, RuleLoadError, type RuleError } from '../rules/ruleset.js'
import { compilePolicy, type Policy, type PolicyEnv } from './policy.js'

export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
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

/** `removed`: rule files the new revision no longer has, with the rules that stopped running (said, never silent) */
export type RulesReload = { ok: true; version: string; changed: boolean; removed: { file: string; rules: string[] }[] } | { ok: false; errors: RuleError[] }
export type ModelReload = { ok: true; version: string; changed: boolean } | { ok: false; error: string }

/**
 * The policy in force. A changed rules directory or model directory is read, validated and compiled into a
 * whole new policy with the other half of the one in force, then swapped in with one assignment. A failed
 * candidate keeps the last good policy and records why (GET /v1/rules and /v1/model show it).
 */
export class PolicyHolder {
  rulesError: { at: string; errors: RuleError[] } | null = null
  modelError: { at: string; file: string; line: number; message: string } | null = null
  modelLoadedAt = new Date().toISOString()
  private stops: (() => void)[] = []
  private reloading: Promise<unknown> = Promise.resolve()

  private constructor(
    public current: Policy,
    private readonly dirs: { rules: string; model: string },
    private readonly env: PolicyEnv,
    private readonly retireAfterMs: number,
  ) {}

  /** Load and compile the first policy; throws on a bad rule set or model (the service does not start). */
  static async load(dirs: { rules: string; model: string; challenger?: string | undefined }, env: PolicyEnv, retireAfterMs = 5000): Promise<PolicyHolder> {
    const rules = loadRuleSet(dirs.rules)
    const model = await Model.load(dirs.model, rules.catalog)
    const challenger = dirs.challenger ? await Model.load(dirs.challenger, rules.catalog) : null
    return new PolicyHolder(compilePolicy({ rules, model, challenger }, { ...env, rulesDir: dirs.rules }), dirs, { ...env, rulesDir: dirs.rules }, retireAfterMs)
  }

  reloadRules(): RulesReload {
    try {
      const rules = loadRuleSet(this.dirs.rules)
      const changed = rules.version !== this.current.rules.version
      const kept = new Set(rules.rules.map((r) => r.file))
      const removed = [...new Set(this.current.rules.rules.map((r) => r.file))].filter((f) => !kept.has(f)).map((file) => ({ file, rules: this.current.rules.rules.filter((r) => r.file === file).map((r) => r.id) }))
      // An unchanged set keeps its object (and loaded_at): a touch of a file is not a new revision.
      if (changed) this.current = compilePolicy({ rules, model: this.current.model, challenger: this.current.challenger }, this.env)
      this.rulesError = null
      return { ok: true, version: this.current.rules.version, changed, removed }
    } catch (err) {
      const errors = err instanceof RuleLoadError ? err.errors : [{ file: this.dirs.rules, line: 1, column: 1, message: String(err) }]
      this.rulesError = { at: new Date().toISOString(), errors }
      return { ok: false, errors }
    }
  }

  /**
   * The candidate model is loaded and verified (card schema, features, sha256, onnxruntime) before the swap;
   * the old session is released a little later, once the requests that were using it have finished.
   */
  reloadModel(): Promise<ModelReload> {
    // one reload at a time, in order
    const run = this.reloading.then(async (): Promise<ModelReload> => {
      try {
        const old = this.current.model!
        const next = await Model.load(this.dirs.model, this.current.rules.catalog)
        const changed = next.card.onnx.sha256 !== old.card.onnx.sha256 || next.card.version !== old.card.version || JSON.stringify(next.card.thresholds) !== JSON.stringify(old.card.thresholds)
        if (!changed) {
          await next.close()
          this.modelError = null
          return { ok: true, version: old.version, changed }
        }
        this.current = compilePolicy({ rules: this.current.rules, model: next, challenger: this.current.challenger }, this.env)
        this.modelLoadedAt = new Date().toISOString()
        this.modelError = null
        setTimeout(() => void old.close().catch(() => {}), this.retireAfterMs).unref()
        return { ok: true, version: next.version, changed }
      } catch (err) {
        const e = err instanceof ModelLoadError ? err : new ModelLoadError(this.dirs.model, 1, String(err))
        this.modelError = { at: new Date().toISOString(), file: e.file, line: e.line, message: e.message }
        return { ok: false, error: e.message }
      }
    })
    this.reloading = run
    return run
  }

  /**
   * Reload when a rule, list or model file changes, once its directory has been quiet (editors and deploys
   * write several files). Deploy by atomic rename where possible.
   */
  watch(log: Logger, debounceMs = { rules: 150, model: 300 }): void {
    this.stops.push(
      watchDebounced([this.dirs.rules, join(this.dirs.rules, 'lists')], debounceMs.rules, () => {
        const r = this.reloadRules()
        if (r.ok && r.changed) log.info({ rules_version: r.version }, 'rules reloaded')
        if (r.ok) for (const f of r.removed) log.warn({ file: f.file, rules: f.rules }, `rule file ${f.file} was removed: its ${f.rules.length} rule(s) no longer run`)
        else if (!r.ok) log.error({ errors: r.errors.map(formatRuleError) }, 'rules change rejected; the last good set keeps serving')
      }),
      watchDebounced([this.dirs.model], debounceMs.model, () => {
        void this.reloadModel().then((r) => {
          if (r.ok && r.changed) log.info({ model_version: r.version }, 'model reloaded')
          else if (!r.ok) log.error({ error: r.error }, 'model change rejected; the last good model keeps serving')
        })
      }),
    )
  }

  async close(): Promise<void> {
    for (const stop of this.stops) stop()
    this.stops = []
    await this.current.model?.close()
    await this.current.challenger?.close()
  }
}
