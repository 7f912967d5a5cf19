import type { Decision, Reason } from '../events/schemas.js'
import type { Features } from '../features/extract.js'
import type { Attribution } from '../model/model.js'
import type { Catalog } from '../features/catalog.js'
import { SEVERITY, type CompiledRule, type ContextCache, type RuleSet } from '../rules/ruleset.js'

export interface Thresholds {
  challenge: number
  review: number
  deny: number
}

export interface RuleOutcome {
  matched: CompiledRule[]
  shadow: CompiledRule[]
}

const EMPTY: readonly CompiledRule[] = []

interface Layout {
  fields: { name: string; ns: string; field: string; absent: unknown }[]
  namespaces: string[]
}
const layouts = new WeakMap<Catalog, Layout>()

function layoutOf(catalog: Catalog): Layout {
  let l = layouts.get(catalog)
  if (!l) {
    const fields = catalog.features.map((f) => {
      const dot = f.name.indexOf('.')
      return { name: f.name, ns: f.name.slice(0, dot), field: f.name.slice(dot + 1), absent: f.type === 'number' ? NaN : f.type === 'bool' ? false : '' }
    })
    l = { fields, namespaces: [...new Set(fields.map((x) => x.ns))] }
    layouts.set(catalog, l)
  }
  return l
}

/**
 * Nested view of the flat feature map (`ip.hosting` → ctx.ip.hosting) for CEL, with every catalogued
 * feature present: an absent number is NaN, so any ordering or equality comparison with it is false
 * (IEEE semantics) without the cost of a thrown "no such key"; an absent flag is false.
 */
export function celContext(flat: Features, catalog: Catalog): Record<string, Record<string, unknown>> {
  const { fields, namespaces } = layoutOf(catalog)
  const ctx: Record<string, Record<string, unknown>> = {}
  for (const ns of namespaces) ctx[ns] = {}
  for (const l of fields) {
    const v = flat[l.name]
    ctx[l.ns]![l.field] = v === undefined ? l.absent : v
  }
  return ctx
}

/** Only the features that are present: what `has()` needs to see. */
export function sparseContext(flat: Features, catalog: Catalog): Record<string, Record<string, unknown>> {
  const { fields, namespaces } = layoutOf(catalog)
  const ctx: Record<string, Record<string, unknown>> = {}
  for (const l of fields) {
    const v = flat[l.name]
    if (v !== undefined) (ctx[l.ns] ??= {})[l.field] = v
  }
  for (const ns of namespaces) ctx[ns] ??= {}
  return ctx
}

/**
 * Run every rule of the event's door. A rule matches only when its condition evaluates to `true`;
 * comparisons with an absent feature are false, and an evaluation error counts as no match. Compiled
 * rules read the flat map; nested contexts are built at most once, and only for rules cel-js evaluates.
 */
export function evaluateRules(set: RuleSet, event: keyof RuleSet['byEvent'], flat: Features): RuleOutcome {
  const rules = set.byEvent[event] ?? EMPTY
  let full: Record<string, Record<string, unknown>> | undefined
  let sparse: Record<string, Record<string, unknown>> | undefined
  const ctx: ContextCache = { full: () => (full ??= celContext(flat, set.catalog)), sparse: () => (sparse ??= sparseContext(flat, set.catalog)) }
  const slots = set.catalog.toSlots(flat)
  const matched: CompiledRule[] = []
  const shadow: CompiledRule[] = []
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!
    let hit: boolean
    try {
      hit = r.test(slots, ctx) === true
    } catch {
      hit = false
    }
    if (hit) (r.mode === 'shadow' ? shadow : matched).push(r)
  }
  return { matched, shadow }
}

export interface Combined {
  decision: Decision
  score: number
  reasons: Reason[]
}

const ORDER: Decision[] = ['allow', 'challenge', 'review', 'deny']

export function thresholdAction(score: number, t: Thresholds): Decision {
  if (score >= t.deny) return 'deny'
  if (score >= t.review) return 'review'
  if (score >= t.challenge) return 'challenge'
  return 'allow'
}

/**
 * The documented precedence (rules/README.md):
 * 1. score = model probability × 100 plus every matching enforce rule's `score`, clamped to 0–100;
 * 2. an enforcing `allow` rule (an allow-list) decides `allow`, whatever else matched;
 * 3. otherwise the most severe of the matching rules' actions and the score's threshold action.
 * `reasons` lists the matching enforce rules, most severe first (file order among equals), then the
 * score reason when the score's threshold set or raised the decision.
 */
/** `attributions` is called only when the score reason is given, to keep the common path cheap. */
export function combine(modelProbability: number | null, outcome: RuleOutcome, flat: Features, t: Thresholds, attributions: () => Attribution[] = () => []): Combined {
  let raw = modelProbability === null ? 0 : modelProbability * 100
  for (const r of outcome.matched) raw += r.score ?? 0
  const score = Math.max(0, Math.min(100, Math.round(raw)))

  const sorted = outcome.matched.length > 1 ? [...outcome.matched].sort((a, b) => b.severity - a.severity) : outcome.matched
  const allowListed = sorted.some((r) => r.action === 'allow')
  const reasons: Reason[] = []
  if (allowListed) {
    for (const r of sorted) if (r.action === 'allow') reasons.push({ code: r.code, rule: r.id, action: 'allow', detail: r.renderDetail(flat) })
    return { decision: 'allow', score, reasons }
  }
  let severity = 0
  for (const r of sorted) {
    severity = Math.max(severity, SEVERITY[r.action])
    reasons.push({ code: r.code, rule: r.id, action: r.action, detail: r.renderDetail(flat) })
  }
  const byScore = thresholdAction(score, t)
  if (SEVERITY[byScore] > 0 && SEVERITY[byScore] >= severity) {
    const signals = attributions().map((a) => `${a.feature}=${Math.round(a.value * 1000) / 1000}`).join(', ')
    reasons.push({
      code: 'HIGH_RISK_SCORE',
      rule: 'score',
      action: byScore,
      detail: `score ${score} ≥ ${byScore} threshold ${t[byScore as keyof Thresholds]}${signals ? `; top model signals: ${signals}` : ''}`,
    })
    severity = SEVERITY[byScore]
  }
  return { decision: ORDER[severity]!, score, reasons }
}
