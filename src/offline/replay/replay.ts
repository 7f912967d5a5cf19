import { ScoreRequest, toIssues, type ScoreResponse } from '../../events/schemas.js'
import type { Model } from '../../model/model.js'
import { loadRuleSet, type RuleSet } from '../../rules/ruleset.js'
import { compilePolicy } from '../../policy/policy.js'
import { Scorer } from '../../scoring/scorer.js'
import type { DecisionLog } from '../../scoring/decision-log.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { UaAnalyzer } from '../../signals/useragent.js'
import { makeHasher } from '../../util/hash.js'
import { progress } from '../../util/progress.js'
import { MemoryStore } from '../../velocity/memory-store.js'

/** Fields a replay line may carry beside the /v1/score body: the label, and the simulator's metadata. */
const SIDE_FIELDS = ['label', 'sim'] as const

export interface ReplayOptions {
  rules: RuleSet | string
  model: Model | null
  /** replays hash with a fixed secret so that output is reproducible anywhere */
  secret?: string
  explain?: boolean
  /** a decision log for the replayed answers */
  log?: (line: DecisionLog) => void
  /** a progress line on stderr when it is a terminal: what is being scored, and how many lines when known */
  progress?: { label: string; total?: number }
}

export type ReplayRow =
  | { ok: true; response: ScoreResponse; label?: 'fraud' | 'legit' | undefined; side: Record<string, unknown> }
  | { ok: false; line: number; error: { error: 'invalid_request'; message: string; issues: { path: string; message: string }[] }; eventId?: string }

/**
 * The live pipeline with fresh in-memory counters and each event's occurred_at as its clock.
 * Same input, same output: decision ids derive from event ids, latency is reported as 0.
 */
export function createReplayScorer(opts: ReplayOptions): Scorer {
  const rules = typeof opts.rules === 'string' ? loadRuleSet(opts.rules, () => new Date(0)) : opts.rules
  const hash = makeHasher(opts.secret ?? 'bouncer-replay')
  const data = sharedSignalData()
  const policy = compilePolicy({ rules, model: opts.model }, { keyPrefix: '', signals: { asn: data.asn, disposable: data.disposable, ua: new UaAnalyzer(), hash } })
  return new Scorer({
    store: new MemoryStore(),
    policy: () => policy,
    hash,
    idempotencyTtlMs: 86_400_000,
    mode: 'replay',
    ...(opts.log ? { log: opts.log } : {}),
  })
}


export async function* replay(lines: AsyncIterable<string> | Iterable<string>, opts: ReplayOptions): AsyncGenerator<ReplayRow> {
  const scorer = createReplayScorer(opts)
  const shown = opts.progress ? progress(opts.progress.label, opts.progress.total) : undefined
  let n = 0
  for await (const text of lines) {
    n++
    shown?.tick()
    if (text.trim() === '') continue
    let obj: Record<string, unknown>
    try {
      obj = JSON.parse(text) as Record<string, unknown>
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error('not an object')
    } catch (err) {
      yield { ok: false, line: n, error: { error: 'invalid_request', message: `line ${n}: not a JSON object (${(err as Error).message})`, issues: [{ path: '(body)', message: 'expected a JSON object' }] } }
      continue
    }
    const side: Record<string, unknown> = {}
    for (const k of SIDE_FIELDS) {
      if (k in obj) {
        side[k] = obj[k]
        delete obj[k]
      }
    }
    const parsed = ScoreRequest.safeParse(obj)
    if (!parsed.success) {
      const issues = toIssues(parsed.error)
      yield { ok: false, line: n, eventId: typeof obj.event_id === 'string' ? obj.event_id : undefined, error: { error: 'invalid_request', message: `line ${n}: invalid ${issues.map((i) => i.path).join(', ')}`, issues } }
      continue
    }
    const response = await scorer.score(parsed.data, { explain: opts.explain ?? false })
    const label = side.label === 'fraud' || side.label === 'legit' ? side.label : undefined
    yield { ok: true, response, label, side }
  }
  shown?.done()
}
