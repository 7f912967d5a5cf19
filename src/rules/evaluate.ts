import type { Features } from '../features/extract.js'
import type { Catalog } from '../features/catalog.js'
import type { CompiledRule, ContextCache, RuleSet } from './ruleset.js'

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

