import { join } from 'node:path'
import type { SignalDeps } from '../features/extract.js'
import { DEFAULT_THRESHOLDS, type Thresholds } from '../model/card.js'
import { checkFeatures, type Model } from '../model/model.js'
import { VectorSchema } from '../learning/record.js'
import { RuleLoadError, type RuleSet } from '../rules/ruleset.js'
import { CounterPlan, COUNTERS_FILE } from '../velocity/counters.js'

/**
 * One revision of everything a decision depends on, compiled once and swapped whole: the rules with their
 * lists, counters and feature catalog (derived features included), the counters' key plan, the signal data
 * the rules' lists configure, the model and its thresholds, and the challenger. A request reads the policy
 * once, so it never sees a rules revision with another revision's model.
 */
export interface Policy {
  readonly rules: RuleSet
  readonly counters: CounterPlan
  readonly signals: SignalDeps
  readonly model: Model | null
  readonly challenger: Model | null
  readonly thresholds: Thresholds
  /** the numbers a decision record keeps, in this revision's catalog order */
  readonly vector: VectorSchema
}

export interface PolicyParts {
  rules: RuleSet
  model: Model | null
  challenger?: Model | null
}

export interface PolicyEnv {
  /** prefix of every store key */
  keyPrefix: string
  signals: Omit<SignalDeps, 'hostingAsns'>
  /** where the rules and the models came from, for messages */
  rulesDir?: string
}

/**
 * Compile a policy, or throw RuleLoadError when its parts do not fit: a model that reads a feature the rules
 * revision no longer sources (a counter deleted from counters.yaml) is refused with the counters file named.
 */
export function compilePolicy(parts: PolicyParts, env: PolicyEnv): Policy {
  const challenger = parts.challenger ?? null
  for (const m of [parts.model, challenger]) {
    if (!m) continue
    const bad = checkFeatures(m.card, parts.rules.catalog)
    if (bad) throw new RuleLoadError([{ file: join(env.rulesDir ?? parts.rules.dir, COUNTERS_FILE), line: 1, column: 1, message: `model ${m.id}@${m.version} (${m.dir}): ${bad}` }])
  }
  return {
    rules: parts.rules,
    counters: new CounterPlan(env.keyPrefix, parts.rules.counters),
    signals: { ...env.signals, hostingAsns: parts.rules.lists.hostingAsns },
    model: parts.model,
    challenger,
    thresholds: parts.model?.card.thresholds ?? DEFAULT_THRESHOLDS,
    vector: VectorSchema.forCatalog(parts.rules.catalog),
  }
}
