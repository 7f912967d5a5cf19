import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { combine, type Thresholds } from '../../scoring/combine.js'
import { evaluateRules } from '../../rules/evaluate.js'
import { Decision, EVENT_TYPES } from '../../events/schemas.js'
import type { Features } from '../../features/extract.js'
import { parseYamlFile, position } from '../../util/yaml-position.js'
import { ruleFiles, suggestFeature, type RuleSet } from '../../rules/ruleset.js'

/**
 * Test cases beside each rule file (`login.yaml` → `login.cases.yaml`), run through the production
 * compile and evaluation path. Inputs are feature values, the unit rules are written against; a feature
 * left out is absent, exactly as when its data was not sent.
 */
export const CaseSchema = z.strictObject({
  name: z.string().min(1),
  event: z.enum(EVENT_TYPES),
  features: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({}),
  model_score: z.number().min(0).max(1).default(0),
  expect: z.strictObject({
    matched: z.array(z.string()).default([]),
    not_matched: z.array(z.string()).default([]),
    decision: Decision.optional(),
  }),
})
export type RuleCase = z.infer<typeof CaseSchema>
const CasesFile = z.strictObject({ cases: z.array(z.unknown()) })

export interface CaseResult {
  file: string
  line: number
  name: string
  ok: boolean
  problems: string[]
}

export interface CasesReport {
  results: CaseResult[]
  /** rules no passing-or-failing case expects to match: each needs at least one */
  uncovered: { id: string; file: string; line: number }[]
  errors: string[]
}

export function casesFileFor(ruleFile: string): string {
  return ruleFile.replace(/\.ya?ml$/, '.cases.yaml')
}

export function runCases(dir: string, set: RuleSet, thresholds: Thresholds): CasesReport {
  const results: CaseResult[] = []
  const errors: string[] = []
  const covered = new Set<string>()
  const known = new Set(set.rules.map((r) => r.id))
  for (const ruleFile of ruleFiles(dir)) {
    const file = join(dir, casesFileFor(ruleFile))
    if (!existsSync(file)) continue
    const { doc, lc, errors: yamlErrors } = parseYamlFile(readFileSync(file, 'utf8'), file)
    if (yamlErrors.length) {
      for (const e of yamlErrors) errors.push(`${e.file}:${e.line} ${e.message}`)
      continue
    }
    const top = CasesFile.safeParse(doc.toJS())
    if (!top.success) {
      errors.push(`${file}:1 a cases file is \`cases: [ ... ]\``)
      continue
    }
    top.data.cases.forEach((raw, i) => {
      const { line } = position(doc, lc, ['cases', i])
      const parsed = CaseSchema.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        errors.push(`${file}:${line} case ${i + 1}: ${issue.path.join('.')}: ${issue.message}`)
        return
      }
      const c = parsed.data
      const problems: string[] = []
      for (const name of Object.keys(c.features)) {
        if (!set.catalog.index.has(name)) {
          const hint = suggestFeature(name, set.catalog)
          problems.push(`unknown feature \`${name}\`${hint ? `, did you mean \`${hint}\`?` : ''}`)
        }
      }
      for (const id of [...c.expect.matched, ...c.expect.not_matched]) if (!known.has(id)) problems.push(`no rule \`${id}\` in ${dir}`)
      const flat: Features = { ...c.features, 'model.score': c.model_score }
      const outcome = evaluateRules(set, c.event, flat)
      const hit = new Set([...outcome.matched, ...outcome.shadow].map((r) => r.id))
      for (const id of c.expect.matched) {
        covered.add(id)
        if (!hit.has(id)) problems.push(`expected \`${id}\` to match; it did not`)
      }
      for (const id of c.expect.not_matched) if (hit.has(id)) problems.push(`expected \`${id}\` not to match; it did`)
      if (c.expect.decision) {
        const got = combine(c.model_score, outcome, flat, thresholds).decision
        if (got !== c.expect.decision) problems.push(`expected decision ${c.expect.decision}, got ${got} (matched: ${[...hit].join(', ') || 'none'})`)
      }
      results.push({ file, line, name: c.name, ok: problems.length === 0, problems })
    })
  }
  const uncovered = set.rules.filter((r) => !covered.has(r.id)).map((r) => ({ id: r.id, file: join(dir, r.file), line: r.line }))
  return { results, uncovered, errors }
}
