import { z } from 'zod'
import { EVENT_TYPES } from '../events/schemas.js'
import { REQUEST_CATALOG, STATIC_FEATURES } from '../features/catalog.js'
import { parseYamlFile, position } from '../util/yaml-position.js'
import { KEY_ALIASES, KEY_FIELDS, windowMs, type CounterSpec, type KeyField } from '../velocity/counters.js'
import { MAX_KEYS_PER_SLOT_CALL } from '../velocity/limits.js'
import { compileCondition } from './condition.js'
import type { RuleError } from './ruleset.js'

const keyField = z.string().transform((v, ctx) => {
  const f = (KEY_FIELDS as readonly string[]).includes(v) ? (v as KeyField) : KEY_ALIASES[v]
  if (f === undefined) {
    ctx.addIssue({ code: 'custom', message: `unknown key field \`${v}\`; one of ${[...KEY_FIELDS, ...Object.keys(KEY_ALIASES)].join(', ')}` })
    return z.NEVER
  }
  return f
})

export const CounterSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, 'namespace.name, lower case (the features are name_window)'),
  description: z.string().min(1),
  events: z.array(z.enum(EVENT_TYPES)).min(1).describe('events that add to the counter'),
  reads: z.array(z.enum(EVENT_TYPES)).min(1).optional().describe('events that read it; defaults to events'),
  key: z.array(keyField).min(1).max(3),
  distinct: keyField.optional().describe('count distinct values of this identifier instead of events'),
  sum: z.string().optional().describe('sum this numeric request feature instead of counting events'),
  windows: z
    .array(z.string().refine((w) => windowMs(w) !== undefined, 'a window is minutes, hours or days (10m, 1h, 7d), from 1m to 30d'))
    .min(1)
    .max(4),
  where: z.string().min(1).optional().describe('CEL over the request features: only matching events add'),
})

const FileSchema = z.strictObject({ counters: z.array(z.unknown()) })

/**
 * Parse and check counters.yaml. Every problem is reported with file:line:column; the counters returned
 * are only the valid ones, and the caller refuses the whole revision when there is any error.
 */
export function parseCounters(text: string, file: string): { counters: CounterSpec[]; errors: RuleError[] } {
  const errors: RuleError[] = []
  const counters: CounterSpec[] = []
  const { doc, lc, errors: yamlErrors } = parseYamlFile(text, file)
  if (yamlErrors.length > 0) return { counters, errors: yamlErrors }
  const top = FileSchema.safeParse(doc.toJS())
  if (!top.success) {
    errors.push({ file, line: 1, column: 1, message: 'a counters file is `counters: [ ... ]`' })
    return { counters, errors }
  }
  const names = new Map<string, number>()
  const staticNames = new Set(STATIC_FEATURES.map((f) => f.name))
  const keysPerTag = new Map<string, number>()
  top.data.counters.forEach((raw, i) => {
    const nameGuess = typeof raw === 'object' && raw !== null && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : undefined
    const parsed = CounterSchema.safeParse(raw)
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const msg = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${issue.path.join('.')}: ${issue.message}`
        errors.push({ file, ...position(doc, lc, ['counters', i, ...(issue.path as (string | number)[])]), rule: nameGuess, message: msg })
      }
      return
    }
    const c = parsed.data
    const at = position(doc, lc, ['counters', i])
    const fail = (message: string, field?: string) => errors.push({ file, ...(field ? position(doc, lc, ['counters', i, field]) : at), rule: c.name, message })
    const prior = names.get(c.name)
    if (prior !== undefined) return fail(`duplicate counter name (also at line ${prior})`, 'name')
    names.set(c.name, at.line)
    for (const w of c.windows) if (staticNames.has(`${c.name}_${w}`)) return fail(`\`${c.name}_${w}\` is already a request feature`, 'name')
    if (new Set(c.windows).size !== c.windows.length) return fail('a window is listed twice', 'windows')
    if (new Set(c.key).size !== c.key.length) return fail('a key field is listed twice', 'key')
    if (c.distinct !== undefined && c.sum !== undefined) return fail('a counter is `distinct` or `sum`, not both')
    if (c.distinct !== undefined && c.key.includes(c.distinct)) return fail(`\`distinct: ${c.distinct}\` is also part of the key, so it would always count 1`, 'distinct')
    if (c.sum !== undefined) {
      const def = REQUEST_CATALOG.index.get(c.sum)
      if (!def || def.type !== 'number') return fail(`\`sum\` needs a numeric request feature; \`${c.sum}\` is ${def ? `a ${def.type}` : 'not one'}`, 'sum')
    }
    let where: CounterSpec['where']
    if (c.where !== undefined) {
      const compiled = compileCondition(c.where, REQUEST_CATALOG)
      if (compiled.error !== undefined) return fail(`where: ${compiled.error} (filters read request features only)`, 'where')
      if (!compiled.compiled) return fail('where: this condition uses a construct outside the compiled subset; filters must compile', 'where')
      const test = compiled.test
      const noCtx = { full: () => ({}), sparse: () => ({}) }
      where = { expr: c.where, test: (slots) => test(slots, noCtx) === true }
    }
    const tag = c.key.join('+')
    const keys = (keysPerTag.get(tag) ?? (tag === 'account' ? 1 : 0)) + 1
    keysPerTag.set(tag, keys)
    if (keys > MAX_KEYS_PER_SLOT_CALL) return fail(`counters keyed on \`${tag}\` now need ${keys} keys per event; at most ${MAX_KEYS_PER_SLOT_CALL} (one Redis call per entity)`)
    counters.push({
      name: c.name,
      description: c.description,
      key: c.key,
      aggregate: c.distinct !== undefined ? 'distinct' : c.sum !== undefined ? 'sum' : 'count',
      ...(c.distinct !== undefined ? { of: c.distinct } : c.sum !== undefined ? { of: c.sum } : {}),
      windows: c.windows,
      events: c.events,
      ...(c.reads ? { reads: c.reads } : {}),
      ...(where ? { where } : {}),
      at: `${file}:${at.line}`,
    })
  })
  return { counters, errors }
}
