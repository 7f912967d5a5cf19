import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { Environment } from '@marcbachmann/cel-js'
import { LineCounter, parseDocument, type Document } from 'yaml'
import { z } from 'zod'
import { Decision, EVENT_TYPES, type EventType } from '../events/schemas.js'
import { FEATURES, FEATURE_INDEX, NAMESPACES } from '../features/catalog.js'
import { compileAst } from './compile.js'
import { BouncerList, parseList } from './lists.js'

export const Action = Decision
export type Action = Decision

export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, dot, dash or underscore'),
  event: z.union([z.enum(EVENT_TYPES), z.array(z.enum(EVENT_TYPES)).min(1)]),
  when: z.string().min(1),
  action: Action,
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'UPPER_SNAKE_CASE'),
  description: z.string().min(1),
  owner: z.string().min(1).optional(),
  mode: z.enum(['enforce', 'shadow']).default('enforce'),
  score: z.number().int().min(-100).max(100).optional().describe('added to the 0-100 score when the rule matches'),
  detail: z.string().optional().describe('text for the reason; {feature.name} is replaced by its value'),
})
export type RuleDef = z.infer<typeof RuleSchema>

const FileSchema = z.strictObject({ rules: z.array(z.unknown()) })

export interface RuleError {
  file: string
  line: number
  column: number
  rule?: string | undefined
  message: string
}

export class RuleLoadError extends Error {
  constructor(public readonly errors: RuleError[]) {
    super(errors.map(formatRuleError).join('\n'))
    this.name = 'RuleLoadError'
  }
}

export function formatRuleError(e: RuleError): string {
  return `${e.file}:${e.line}:${e.column}${e.rule ? ` [${e.rule}]` : ''} ${e.message}`
}

export type Evaluator = (ctx: Record<string, unknown>) => unknown

/** Nested views of one event's features, built only if a rule evaluated by cel-js asks for them. */
export interface ContextCache {
  full(): Record<string, Record<string, unknown>>
  sparse(): Record<string, Record<string, unknown>>
}
/** `slots` are the event's features in catalog order (toSlots); `ctx` builds nested maps on demand. */
export type RuleTest = (slots: unknown[], ctx: ContextCache) => unknown

export interface CompiledRule extends RuleDef {
  events: EventType[]
  file: string
  line: number
  severity: number
  test: RuleTest
  /** compiled to closures (true) or evaluated by cel-js (false) */
  compiled: boolean
  /** the reason text for a match */
  renderDetail: (flat: Record<string, unknown>) => string
}

export interface RuleSet {
  version: string
  loadedAt: string
  dir: string
  rules: CompiledRule[]
  byEvent: Record<EventType, CompiledRule[]>
  lists: { hostingAsns: Set<number>; named: Map<string, BouncerList> }
}

export const SEVERITY: Record<Action, number> = { allow: 0, challenge: 1, review: 2, deny: 3 }

/**
 * The CEL environment every rule set starts from: each feature namespace is a map variable, so
 * `ip.hosting` reads the `ip` map, and lists are a type with an `in` operator.
 */
const baseEnv = (() => {
  const e = new Environment({ limits: { maxAstNodes: 2000, maxDepth: 64, maxListElements: 10_000, maxMapEntries: 1000, maxCallArguments: 8 } })
  for (const ns of NAMESPACES) e.registerVariable(ns, 'map')
  e.registerType('BouncerList', BouncerList)
  e.registerOperator('string in BouncerList', (v: unknown, l: BouncerList) => l.has(v))
  e.registerOperator('double in BouncerList', (v: unknown, l: BouncerList) => l.has(v))
  return e
})()

/** A rule set's own environment: `list('name')` resolves to that set's lists, so a candidate never sees the live one's. */
export function ruleEnvironment(lists: ReadonlyMap<string, BouncerList>): Environment {
  return baseEnv.clone().registerFunction('list(string): BouncerList', (name: string) => {
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

export function suggestFeature(name: string): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const f of FEATURE_INDEX.keys()) {
    const d = levenshtein(name, f)
    if (d < bestD) {
      bestD = d
      best = f
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined
}

/** Feature references (`ns.field`) outside string literals, for the unknown-feature check. */
function referencedFeatures(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
  const out: string[] = []
  for (const m of code.matchAll(/(?<![\w.])([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b(?!\s*\()/g)) {
    if (NAMESPACES.has(m[1]!)) out.push(`${m[1]}.${m[2]}`)
  }
  return out
}

/** Every catalogued feature at a typed default: conditions are probed against it once at compile time. */
const PROBE: Record<string, Record<string, unknown>> = (() => {
  const ctx: Record<string, Record<string, unknown>> = {}
  for (const f of FEATURES) {
    const dot = f.name.indexOf('.')
    ;(ctx[f.name.slice(0, dot)] ??= {})[f.name.slice(dot + 1)] = f.type === 'number' ? 0 : f.type === 'bool' ? false : ''
  }
  return ctx
})()
const PROBE_SLOTS: unknown[] = FEATURES.map((f) => (f.type === 'number' ? 0 : f.type === 'bool' ? false : ''))

export function compileCondition(expr: string, env: Environment = ruleEnvironment(new Map()), lists: ReadonlyMap<string, BouncerList> = new Map()): { test: RuleTest; compiled: boolean; error?: undefined } | { error: string } {
  for (const m of expr.matchAll(/\blist\(\s*["']([^"']*)["']\s*\)/g)) {
    if (!lists.has(m[1]!)) return { error: `unknown list \`${m[1]}\`${lists.size ? ` (lists: ${[...lists.keys()].join(', ')})` : ''}; lists are files in rules/lists/` }
  }
  for (const f of referencedFeatures(expr)) {
    if (!FEATURE_INDEX.has(f)) {
      const hint = suggestFeature(f)
      return { error: `unknown feature \`${f}\`${hint ? `, did you mean \`${hint}\`?` : ''}` }
    }
  }
  try {
    const checked = env.check(expr)
    if (!checked.valid) return { error: `invalid condition: ${checked.error?.message ?? 'type check failed'}` }
    if (checked.type !== 'bool' && checked.type !== 'dyn') return { error: `condition must be a boolean, not ${checked.type}` }
    const parsed = env.parse(expr) as Evaluator & { ast: unknown }
    // A compiled function where the rule stays in the supported subset; cel-js's evaluator otherwise, on
    // the nested map with absent values (or the present features only when the rule uses has()).
    const closure = compileAst(parsed.ast, (name) => lists.get(name))
    const usesHas = /\bhas\s*\(/.test(expr)
    const test: RuleTest = closure ?? (usesHas ? (_slots, ctx) => parsed(ctx.sparse()) : (_slots, ctx) => parsed(ctx.full()))
    // Map values are dynamically typed, so the checker cannot see `ip.hosting > 3` or a numeric result.
    let probe: unknown
    try {
      probe = parsed(PROBE)
      if (closure) probe = closure(PROBE_SLOTS)
    } catch (err) {
      return { error: `type error: ${(err as Error).message.split('\n')[0]}` }
    }
    if (typeof probe !== 'boolean') return { error: `condition must be a boolean, not ${typeof probe}` }
    return { test, compiled: closure !== null }
  } catch (err) {
    return { error: `invalid condition: ${(err as Error).message.split('\n')[0]}` }
  }
}

function compileDetail(rule: RuleDef): (flat: Record<string, unknown>) => string {
  const tpl = rule.detail ?? rule.description
  const parts = tpl.split(/\{([a-z_][a-z0-9_]*\.[a-z0-9_]+)\}/)
  if (parts.length === 1) return () => tpl
  return (flat) => {
    let s = ''
    for (let i = 0; i < parts.length; i++) {
      if (i % 2 === 0) s += parts[i]
      else {
        const v = flat[parts[i]!]
        s += v === undefined ? '?' : typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v)
      }
    }
    return s
  }
}

function position(doc: Document, lc: LineCounter, path: (string | number)[]): { line: number; column: number } {
  for (let p = path; p.length >= 0; p = p.slice(0, -1)) {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined
    if (node && typeof node === 'object' && node.range) {
      const pos = lc.linePos(node.range[0])
      return { line: pos.line, column: pos.col }
    }
    if (p.length === 0) break
  }
  return { line: 1, column: 1 }
}

export function parseAsnList(text: string): Set<number> {
  const out = new Set<number>()
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    const n = Number(line.replace(/^AS/i, ''))
    if (Number.isInteger(n) && n > 0) out.add(n)
  }
  return out
}

/** The rule files of a directory: `*.yaml` except the `*.cases.yaml` test files beside them. */
export function ruleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !/\.cases\.ya?ml$/.test(f))
    .sort()
}

/**
 * Read, validate and compile every rule file in `dir`. Throws RuleLoadError listing every problem with
 * file:line:column; nothing partial is ever returned, so a caller can keep its last good set.
 */
export function loadRuleSet(dir: string, now: () => Date = () => new Date()): RuleSet {
  const errors: RuleError[] = []
  const rules: CompiledRule[] = []
  const digest = createHash('sha256')
  const seen = new Map<string, string>()
  let files: string[]
  try {
    files = ruleFiles(dir)
  } catch (err) {
    throw new RuleLoadError([{ file: dir, line: 1, column: 1, message: `cannot read rules directory: ${(err as Error).message}` }])
  }
  const named = new Map<string, BouncerList>()
  const listDir = join(dir, 'lists')
  let listFiles: string[] = []
  try {
    listFiles = readdirSync(listDir).filter((f) => f.endsWith('.txt')).sort()
  } catch {
    // no lists directory: no lists
  }
  for (const f of listFiles) {
    const text = readFileSync(join(listDir, f), 'utf8')
    digest.update(`lists/${f}`).update('\0').update(text).update('\0')
    const name = f.slice(0, -4)
    const { list, errors: listErrors } = parseList(name, text)
    for (const e of listErrors) errors.push({ file: join(listDir, f), line: e.line, column: 1, message: e.message })
    if (list) named.set(name, list)
  }
  const env = ruleEnvironment(named)

  for (const name of files) {
    const file = join(dir, name)
    const text = readFileSync(file, 'utf8')
    digest.update(name).update('\0').update(text).update('\0')
    const lc = new LineCounter()
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = lc.linePos(e.pos[0])
        errors.push({ file, line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0]}` })
      }
      continue
    }
    const top = FileSchema.safeParse(doc.toJS())
    if (!top.success) {
      const issue = top.error.issues[0]!
      errors.push({ file, ...position(doc, lc, issue.path as (string | number)[]), message: `${issue.path.join('.') || 'file'}: ${issue.message} (a rule file is \`rules: [ ... ]\`)` })
      continue
    }
    top.data.rules.forEach((raw, i) => {
      const idGuess = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined
      const parsed = RuleSchema.safeParse(raw)
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = ['rules', i, ...(issue.path as (string | number)[])]
          const field = issue.path.join('.')
          const msg = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${field}: ${issue.message}`
          errors.push({ file, ...position(doc, lc, path), rule: idGuess, message: msg })
        }
        return
      }
      const r = parsed.data
      const at = position(doc, lc, ['rules', i])
      const prior = seen.get(r.id)
      if (prior) {
        errors.push({ file, ...at, rule: r.id, message: `duplicate rule id (also in ${prior})` })
        return
      }
      seen.set(r.id, `${name}:${at.line}`)
      const compiled = compileCondition(r.when, env, named)
      if (compiled.error !== undefined) {
        errors.push({ file, ...position(doc, lc, ['rules', i, 'when']), rule: r.id, message: compiled.error })
        return
      }
      rules.push({
        ...r,
        events: Array.isArray(r.event) ? r.event : [r.event],
        file: name,
        line: at.line,
        severity: SEVERITY[r.action],
        test: compiled.test,
        compiled: compiled.compiled,
        renderDetail: compileDetail(r),
      })
    })
  }
  let hostingAsns = new Set<number>()
  if (listFiles.includes('hosting_asns.txt')) hostingAsns = parseAsnList(readFileSync(join(listDir, 'hosting_asns.txt'), 'utf8'))
  if (files.length === 0) errors.push({ file: dir, line: 1, column: 1, message: 'no rule files (*.yaml) found' })
  if (errors.length > 0) throw new RuleLoadError(errors)
  const byEvent = { registration: [], login: [], coupon_claim: [] } as Record<EventType, CompiledRule[]>
  for (const r of rules) for (const ev of r.events) byEvent[ev].push(r)
  return { version: `sha256:${digest.digest('hex')}`, loadedAt: now().toISOString(), dir: basename(dir), rules, byEvent, lists: { hostingAsns, named } }
}
