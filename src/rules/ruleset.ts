import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { z } from 'zod'
import { Decision, EVENT_TYPES, SEVERITY, type EventType } from '../events/schemas.js'
import { Catalog, IDENTIFIER_FEATURES } from '../features/catalog.js'
import { COUNTERS_FILE, counterFeatures, type CounterSpec } from '../velocity/counters.js'
import { parseCounters } from './counters-file.js'
import { compileCondition, ruleEnvironment, type RuleTest } from './condition.js'
import { parseYamlFile, position } from '../util/yaml-position.js'
import { parseList, type BouncerList } from './lists.js'

export { compileCondition, ruleEnvironment, suggestFeature, type ContextCache, type Evaluator, type RuleTest } from './condition.js'

export const Action = Decision
export type Action = Decision

export const RuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, dot, dash or underscore'),
  event: z.union([z.enum(EVENT_TYPES), z.array(z.enum(EVENT_TYPES)).min(1)]),
  when: z.string().min(1).describe('a CEL condition over the features (rules/README.md lists them); a comparison with an absent number is false'),
  action: Action,
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'UPPER_SNAKE_CASE'),
  description: z.string().min(1),
  owner: z.string().min(1).optional(),
  mode: z.enum(['enforce', 'shadow']).default('enforce'),
  score: z.number().int().min(-100).max(100).optional().describe('added to the 0-100 score when the rule matches'),
  detail: z.string().optional().describe('text for the reason; {feature.name} is replaced by its value'),
  justification: z
    .string()
    .min(40, 'say why, in a sentence or more: what makes a legitimate event match, and why that friction is worth it')
    .optional()
    .describe('why this enforcing rule may touch more than 0.1% of legitimate held-out traffic (npm run rules:gate)'),
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
  /** the features of this revision: the request's, then its counters' */
  catalog: Catalog
  /** the counters declared in counters.yaml */
  counters: CounterSpec[]
  loadedAt: string
  dir: string
  rules: CompiledRule[]
  byEvent: Record<EventType, CompiledRule[]>
  lists: { hostingAsns: Set<number>; named: Map<string, BouncerList> }
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
        const name = parts[i]!
        const v = flat[name]
        s += v === undefined ? '?' : IDENTIFIER_FEATURES.has(name) ? '[redacted]' : typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : String(v)
      }
    }
    return s
  }
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

/** The rule files of a directory: `*.yaml` except the `*.cases.yaml` test files beside them and counters.yaml. */
export function ruleFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !/\.cases\.ya?ml$/.test(f) && f !== COUNTERS_FILE)
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
  // Counters first: they define the velocity features the rules may read.
  let counters: CounterSpec[] = []
  const counterFile = join(dir, COUNTERS_FILE)
  let counterText: string | undefined
  try {
    counterText = readFileSync(counterFile, 'utf8')
  } catch {
    // no counters.yaml: no velocity features
  }
  if (counterText !== undefined) {
    digest.update(COUNTERS_FILE).update('\0').update(counterText).update('\0')
    const parsed = parseCounters(counterText, counterFile)
    errors.push(...parsed.errors)
    counters = parsed.counters
  }
  const catalog = new Catalog(counterFeatures(counters))
  const env = ruleEnvironment(named, catalog)

  for (const name of files) {
    const file = join(dir, name)
    const text = readFileSync(file, 'utf8')
    digest.update(name).update('\0').update(text).update('\0')
    const { doc, lc, errors: yamlErrors } = parseYamlFile(text, file)
    if (yamlErrors.length > 0) {
      errors.push(...yamlErrors)
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
      const compiled = compileCondition(r.when, catalog, named, env)
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
  return { version: `sha256:${digest.digest('hex')}`, loadedAt: now().toISOString(), dir: basename(dir), catalog, counters, rules, byEvent, lists: { hostingAsns, named } }
}
