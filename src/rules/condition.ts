import { Environment } from '@marcbachmann/cel-js'
import type { Catalog } from '../features/catalog.js'
import { unsourcedReason } from '../features/derived.js'
import { absentNumberTrap, compileAst } from './compile.js'
import { BouncerList } from './lists.js'

export type Evaluator = (ctx: Record<string, unknown>) => unknown

/** Nested views of one event's features, built only if a rule evaluated by cel-js asks for them. */
export interface ContextCache {
  full(): Record<string, Record<string, unknown>>
  sparse(): Record<string, Record<string, unknown>>
}
/** `slots` are the event's features in catalog order (toSlots); `ctx` builds nested maps on demand. */
export type RuleTest = (slots: unknown[], ctx: ContextCache) => unknown

/**
 * A rule set's CEL environment: each feature namespace of its catalog is a map variable, so `ip.hosting`
 * reads the `ip` map; lists are a type with an `in` operator, and `list('name')` resolves to that set's own
 * lists, so a candidate never sees the live one's.
 */
export function ruleEnvironment(lists: ReadonlyMap<string, BouncerList>, catalog: Catalog): Environment {
  const e = new Environment({ limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 10_000, maxMapEntries: 1000, maxCallArguments: 8 } })
  for (const ns of catalog.namespaces) e.registerVariable(ns, 'map')
  e.registerType('BouncerList', BouncerList)
  e.registerOperator('string in BouncerList', (v: unknown, l: BouncerList) => l.has(v))
  e.registerOperator('double in BouncerList', (v: unknown, l: BouncerList) => l.has(v))
  return e.registerFunction('list(string): BouncerList', (name: string) => {
    const l = lists.get(name)
    if (!l) throw new Error(`no list named ${name}`)
    return l
  })
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!
    dp[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return dp[b.length]!
}

export function suggestFeature(name: string, catalog: Catalog): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const f of catalog.index.keys()) {
    const d = levenshtein(name, f)
    if (d < bestD) {
      bestD = d
      best = f
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined
}

/** Feature references (`ns.field`) outside string literals, for the unknown-feature check. */
function referencedFeatures(expr: string, catalog: Catalog): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
  const out: string[] = []
  for (const m of code.matchAll(/(?<![\w.])([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b(?!\s*\()/g)) {
    const name = `${m[1]}.${m[2]}`
    if (catalog.namespaces.has(m[1]!) || catalog.unsourced.has(name)) out.push(name)
  }
  return out
}

interface Probe {
  ctx: Record<string, Record<string, unknown>>
  slots: unknown[]
}
const probes = new WeakMap<Catalog, Probe>()

/** Every catalogued feature at a typed default: conditions are probed against it once at compile time. */
function probeOf(catalog: Catalog): Probe {
  let p = probes.get(catalog)
  if (!p) {
    const ctx: Record<string, Record<string, unknown>> = {}
    const typed = (f: { type: string }) => (f.type === 'number' ? 0 : f.type === 'bool' ? false : '')
    for (const f of catalog.features) {
      const dot = f.name.indexOf('.')
      ;(ctx[f.name.slice(0, dot)] ??= {})[f.name.slice(dot + 1)] = typed(f)
    }
    p = { ctx, slots: catalog.features.map(typed) }
    probes.set(catalog, p)
  }
  return p
}

export function compileCondition(
  expr: string,
  catalog: Catalog,
  lists: ReadonlyMap<string, BouncerList> = new Map(),
  env: Environment = ruleEnvironment(lists, catalog),
): { test: RuleTest; compiled: boolean; error?: undefined } | { error: string } {
  for (const m of expr.matchAll(/\blist\(\s*["']([^"']*)["']\s*\)/g)) {
    if (!lists.has(m[1]!)) return { error: `unknown list \`${m[1]}\`${lists.size ? ` (lists: ${[...lists.keys()].join(', ')})` : ''}; lists are files in rules/lists/` }
  }
  for (const f of referencedFeatures(expr, catalog)) {
    if (!catalog.index.has(f)) {
      const missing = catalog.unsourced.get(f)
      if (missing) return { error: `feature \`${f}\` ${unsourcedReason(missing)}` }
      const hint = suggestFeature(f, catalog)
      return { error: `unknown feature \`${f}\`${hint ? `, did you mean \`${hint}\`?` : ''}` }
    }
  }
  try {
    const checked = env.check(expr)
    if (!checked.valid) return { error: `invalid condition: ${checked.error?.message ?? 'type check failed'}` }
    if (checked.type !== 'bool' && checked.type !== 'dyn') return { error: `condition must be a boolean, not ${checked.type}` }
    const parsed = env.parse(expr) as Evaluator & { ast: unknown }
    const trap = absentNumberTrap(parsed.ast, catalog)
    if (trap) return { error: trap }
    // A compiled function where the rule stays in the supported subset; cel-js's evaluator otherwise, on
    // the nested map with absent values (or the present features only when the rule uses has()).
    const closure = compileAst(parsed.ast, (name) => lists.get(name), catalog)
    const usesHas = /\bhas\s*\(/.test(expr)
    const test: RuleTest = closure ?? (usesHas ? (_slots, ctx) => parsed(ctx.sparse()) : (_slots, ctx) => parsed(ctx.full()))
    // Map values are dynamically typed, so the checker cannot see `ip.hosting > 3` or a numeric result.
    let probe: unknown
    try {
      const p = probeOf(catalog)
      probe = parsed(p.ctx)
      if (closure) probe = closure(p.slots)
    } catch (err) {
      return { error: `type error: ${(err as Error).message.split('\n')[0]}` }
    }
    if (typeof probe !== 'boolean') return { error: `condition must be a boolean, not ${typeof probe}` }
    return { test, compiled: closure !== null }
  } catch (err) {
    return { error: `invalid condition: ${(err as Error).message.split('\n')[0]}` }
  }
}

