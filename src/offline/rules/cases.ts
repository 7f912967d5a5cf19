import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { combine, type Thresholds } from '../../scoring/combine.js'
import { evaluateRules } from '../../rules/evaluate.js'
import { Decision, EVENT_TYPES, ScoreRequest, toIssues } from '../../events/schemas.js'
import type { Model } from '../../model/model.js'
import { createReplayScorer } from '../replay/replay.js'
import type { Features } from '../../features/extract.js'
import { parseYamlFile, position } from '../../util/yaml-position.js'
import { ruleFiles, suggestFeature, type RuleSet } from '../../rules/ruleset.js'

const Expect = z.strictObject({
  matched: z.array(z.string()).default([]),
  not_matched: z.array(z.string()).default([]),
  decision: Decision.optional(),
})

/**
 * Test cases beside each rule file (`login.yaml` → `login.cases.yaml`). Two kinds:
 * - a feature case gives feature values, the unit rules are written against, run through the production
 *   compile and evaluation path; a feature left out is absent, exactly as when its data was not sent;
 * - an event case gives a /v1/score request body, and optionally the events before it, scored through the
 *   real stages (extraction, velocity on a fresh memory store, derived features, account memory, the model,
 *   rules, decide) on a fixed clock: `at` for the request, one second apart before it for the prior events.
 */
export const CaseSchema = z.strictObject({
  name: z.string().min(1),
  event: z.enum(EVENT_TYPES),
  features: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({}),
  model_score: z.number().min(0).max(1).default(0),
  expect: Expect,
})
export type RuleCase = z.infer<typeof CaseSchema>

const Body = z.record(z.string(), z.unknown())
export const EventCaseSchema = z.strictObject({
  name: z.string().min(1),
  /** the events before the request; `repeat: N` sends one N times, with `{i}` in its strings replaced by 0…N-1 */
  before: z.array(z.union([Body.and(z.object({ repeat: z.undefined().optional() })), z.strictObject({ repeat: z.number().int().min(1).max(5000), request: Body })])).default([]),
  request: Body,
  at: z.iso.datetime({ offset: true }).default('2026-11-11T00:00:00+08:00'),
  expect: Expect,
})
export type EventCase = z.infer<typeof EventCaseSchema>

/** `{i}` in every string of a body replaced by `i`. */
function instantiate(body: Record<string, unknown>, i: number): unknown {
  const walk = (v: unknown): unknown => (typeof v === 'string' ? v.replaceAll('{i}', String(i)) : Array.isArray(v) ? v.map(walk) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v)
  return walk(body)
}

/** The prior events then the request, with event ids and times filled in, validated as the API would. */
function eventsOf(c: EventCase): { events: ScoreRequest[]; problems: string[] } {
  const bodies: unknown[] = []
  for (const b of c.before) {
    if ('repeat' in b && typeof b.repeat === 'number') for (let i = 0; i < b.repeat; i++) bodies.push(instantiate(b.request as Record<string, unknown>, i))
    else bodies.push(b)
  }
  bodies.push(c.request)
  const at = Date.parse(c.at)
  const events: ScoreRequest[] = []
  const problems: string[] = []
  bodies.forEach((raw, k) => {
    const body = { event_id: `case-${k}`, occurred_at: new Date(at - (bodies.length - 1 - k) * 1000).toISOString(), ...(raw as Record<string, unknown>) }
    const parsed = ScoreRequest.safeParse(body)
    if (parsed.success) events.push(parsed.data)
    else problems.push(`${k === bodies.length - 1 ? 'request' : `before[${k}]`}: invalid ${toIssues(parsed.error).map((i) => `${i.path} (${i.message})`).join(', ')}`)
  })
  return { events, problems }
}
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

export async function runCases(dir: string, set: RuleSet, thresholds: Thresholds, model: Model | null = null): Promise<CasesReport> {
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
    for (const [i, raw] of top.data.cases.entries()) {
      const { line } = position(doc, lc, ['cases', i])
      const isEvent = typeof raw === 'object' && raw !== null && 'request' in raw
      const parsed = isEvent ? EventCaseSchema.safeParse(raw) : CaseSchema.safeParse(raw)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        errors.push(`${file}:${line} case ${i + 1}: ${issue.path.join('.')}: ${issue.message}`)
        continue
      }
      const c = parsed.data
      const problems: string[] = []
      for (const id of [...c.expect.matched, ...c.expect.not_matched]) if (!known.has(id)) problems.push(`no rule \`${id}\` in ${dir}`)
      const got = 'request' in c ? await scoreEvents(c, set, model, problems) : evaluateFeatures(c, set, thresholds, problems)
      if (got) {
        for (const id of c.expect.matched) {
          covered.add(id)
          if (!got.hit.has(id)) problems.push(`expected \`${id}\` to match; it did not`)
        }
        for (const id of c.expect.not_matched) if (got.hit.has(id)) problems.push(`expected \`${id}\` not to match; it did`)
        if (c.expect.decision) {
          const d = got.decision()
          if (d.decision !== c.expect.decision) problems.push(`expected decision ${c.expect.decision}, got ${d.decision} (${d.score !== undefined ? `score ${d.score}; ` : ''}matched: ${[...got.hit].join(', ') || 'none'})`)
        }
      }
      results.push({ file, line, name: c.name, ok: problems.length === 0, problems })
    }
  }
  const uncovered = set.rules.filter((r) => !covered.has(r.id)).map((r) => ({ id: r.id, file: join(dir, r.file), line: r.line }))
  return { results, uncovered, errors }
}

interface Outcome {
  /** the rules that matched, enforce and shadow */
  hit: Set<string>
  decision: () => { decision: string; score?: number }
}

/** A feature case: its features straight into rule evaluation (and `combine`, when it expects a decision). */
function evaluateFeatures(c: RuleCase, set: RuleSet, thresholds: Thresholds, problems: string[]): Outcome | undefined {
  for (const name of Object.keys(c.features)) {
    if (!set.catalog.index.has(name)) {
      const hint = suggestFeature(name, set.catalog)
      problems.push(`unknown feature \`${name}\`${hint ? `, did you mean \`${hint}\`?` : ''}`)
    }
  }
  const flat: Features = { ...c.features, 'model.score': c.model_score }
  const outcome = evaluateRules(set, c.event, flat)
  return { hit: new Set([...outcome.matched, ...outcome.shadow].map((r) => r.id)), decision: () => ({ decision: combine(c.model_score, outcome, flat, thresholds).decision }) }
}

/** An event case: the events before it, then the request, through the whole pipeline on a fresh store. */
async function scoreEvents(c: EventCase, set: RuleSet, model: Model | null, problems: string[]): Promise<Outcome | undefined> {
  const { events, problems: invalid } = eventsOf(c)
  problems.push(...invalid)
  if (problems.length > 0) return undefined
  const scorer = createReplayScorer({ rules: set, model })
  let last: Awaited<ReturnType<typeof scorer.score>> | undefined
  for (const e of events) last = await scorer.score(e)
  const r = last!
  return { hit: new Set([...r.rules.matched, ...r.rules.shadow_matched]), decision: () => ({ decision: r.decision, score: r.score }) }
}
