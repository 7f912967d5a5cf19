import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { ScoreRequest, ScoreResponse } from '../events/schemas.js'
import { extractFeatures, type Features, type SignalDeps } from '../features/extract.js'
import { vectorize, type Attribution, type Model } from '../model/model.js'
import { SEVERITY, type RuleSet } from '../rules/ruleset.js'
import type { Hasher } from '../util/hash.js'
import { CounterPlan } from '../velocity/counters.js'
import { PENDING_PREFIX, type Batch, type BatchResult, type VelocityStore } from '../velocity/store.js'
import { combine, evaluateRules, type Thresholds } from './combine.js'

export const DEFAULT_THRESHOLDS: Thresholds = { challenge: 60, review: 80, deny: 95 }
const ACCOUNT_TTL_MS = 90 * 86_400_000

export interface DecisionLog {
  decision_id: string
  event_id_hash: string
  event: string
  decision: string
  score: number
  model: string | null
  model_score: number | null
  rules_version: string
  matched: string[]
  shadow_matched: string[]
  degraded: string[]
  replayed: boolean
  latency_ms: number
  ids: Record<string, string | undefined>
  challenger?: { model: string; score: number; decision: string } | undefined
  /** the request with every identifier and free-text field removed (those are in `ids`, hashed) */
  input: Record<string, unknown>
}

/**
 * What a decision log may keep of the request: event shape, client flags and numbers, coarse attributes
 * (email domain, phone country), never an identifier or free text.
 */
export function redactInput(req: ScoreRequest, features: Features): Record<string, unknown> {
  const out: Record<string, unknown> = { event: req.event }
  if (req.occurred_at !== undefined) out.occurred_at = req.occurred_at
  if (req.device) out.device = { platform: req.device.platform, emulator: req.device.emulator, rooted: req.device.rooted, headless: req.device.headless, id_present: req.device.id !== undefined }
  if (req.behavior) out.behavior = req.behavior
  if (req.user_agent !== undefined) out.user_agent = { browser: features['ua.browser'], os: features['ua.os'], length: req.user_agent.length }
  out.ip = { version: features['ip.version'], asn: features['ip.asn'] }
  if (req.event === 'registration') {
    if (req.email !== undefined) out.email = { domain: features['email.domain'] ?? '' }
    if (req.phone !== undefined) out.phone = { country: features['phone.country'] ?? '' }
    out.referral_code_present = req.referral_code !== undefined
  } else if (req.event === 'login') {
    out.outcome = req.outcome
    if (req.method !== undefined) out.method = req.method
  } else {
    out.coupon_id = req.coupon_id
    if (req.campaign_id !== undefined) out.campaign_id = req.campaign_id
    if (req.value !== undefined) out.value = req.value
    out.shipping_address_present = req.shipping_address !== undefined
    out.payment_fingerprint_present = req.payment_fingerprint !== undefined
    if (req.account_created_at !== undefined) out.account_created_at = req.account_created_at
  }
  return out
}

export interface ScorerDeps {
  store: VelocityStore
  rules: () => RuleSet
  model: () => Model | null
  /** a challenger model: scored in shadow, logged beside the champion, never used for the decision */
  challenger?: () => Model | null
  signals: Omit<SignalDeps, 'hostingAsns'>
  hash: Hasher
  /** prefix of every store key */
  keyPrefix: string
  idempotencyTtlMs: number
  /** live: the service clock; replay: each event's occurred_at, zero latency and derived decision ids */
  mode: 'live' | 'replay'
  /** degraded-velocity policy: the least severe decision such an event gets (default allow: decide on what is there) */
  degradedFloor?: 'allow' | 'challenge' | 'review'
  clock?: () => number
  log?: (line: DecisionLog) => void
  onError?: (where: string, err: unknown) => void
}

export interface ScoreOptions {
  explain?: boolean
}

export class ConflictError extends Error {
  constructor() {
    super('a request with this event_id is still being scored; retry shortly')
    this.name = 'ConflictError'
  }
}

/**
 * What Bouncer remembers of an account's registration, under the account's hash tag for 90 days: when,
 * the score, decision and reason codes, and the device and network it came from (hashed), which link a
 * later claim to the farm that made the account.
 */
interface AccountMemo {
  t: number
  s?: number
  d?: string
  r?: string[]
  dv?: string
  px?: string
}

/** An account's stored memory; a missing or unreadable one is no memory. */
function parseMemo(raw: string | null): AccountMemo | null {
  if (!raw) return null
  try {
    return JSON.parse(raw) as AccountMemo
  } catch {
    return null
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The whole scoring pipeline. Framework-free: the HTTP layer, replay and training all call `score`. */
export class Scorer {
  private lastEventTime = 0
  private readonly clock: () => number
  /** per rules revision: its signal dependencies and its counters */
  private perRules: { rules: RuleSet; deps: SignalDeps; counters: CounterPlan } | undefined

  constructor(private readonly d: ScorerDeps) {
    this.clock = d.clock ?? Date.now
  }

  private eventTime(req: ScoreRequest): number {
    if (this.d.mode === 'live') return this.clock()
    // Replay: the event's own time is the clock; an event without one inherits the previous event's.
    if (req.occurred_at !== undefined) this.lastEventTime = Date.parse(req.occurred_at)
    return this.lastEventTime
  }

  async score(req: ScoreRequest, opts: ScoreOptions = {}): Promise<ScoreResponse> {
    const t0 = performance.now()
    const now = this.eventTime(req)
    const rules = this.d.rules()
    const model = this.d.model()
    if (this.perRules?.rules !== rules) this.perRules = { rules, deps: { ...this.d.signals, hostingAsns: rules.lists.hostingAsns }, counters: new CounterPlan(this.d.keyPrefix, rules.counters) }
    const { deps, counters } = this.perRules
    const { features, identity } = extractFeatures(req, deps)
    const planned = counters.plan(req, identity, features)
    const eventHash = this.d.hash('event', req.event_id)
    const idemKey = counters.idempotencyKey(eventHash)
    const accountKey = counters.accountKey(identity)
    // The inviter's own memory: what Bouncer remembers of the account that owns the referral code.
    const referrerKey = req.event === 'registration' && req.referrer_account_id !== undefined ? counters.accountKey({ account: this.d.hash('acct', req.referrer_account_id) }) : undefined
    const batch: Batch = {
      now,
      idempotencyKey: idemKey,
      idempotencyTtlMs: this.d.idempotencyTtlMs,
      nonce: this.d.mode === 'live' ? randomUUID() : req.event_id,
      account:
        req.event === 'registration'
          ? { key: accountKey, setIfAbsent: JSON.stringify({ t: now }), ttlMs: ACCOUNT_TTL_MS }
          : req.event === 'coupon_claim'
            ? { key: accountKey, setIfAbsent: '', ttlMs: ACCOUNT_TTL_MS }
            : undefined,
      ops: planned.ops,
      ...(referrerKey !== undefined ? { peek: [referrerKey] } : {}),
    }

    const degraded: string[] = []
    let result: BatchResult | null = null
    try {
      result = await this.d.store.execute(batch)
    } catch (err) {
      degraded.push('velocity')
      this.d.onError?.('velocity', err)
    }
    if (result?.status === 'in_flight') result = await this.waitForStored(idemKey)
    if (result?.status === 'replayed') {
      const stored = JSON.parse(result.stored) as ScoreResponse
      return { ...stored, replayed: true, latency_ms: this.latency(t0) }
    }

    let memo: AccountMemo | null = null
    if (result?.status === 'fresh') {
      for (let i = 0; i < planned.features.length; i++) features[planned.features[i]!] = result.values[i]!
      memo = parseMemo(result.account)
      if (referrerKey !== undefined) {
        const ref = parseMemo(result.peeked?.[0] ?? null)
        features['referrer.known'] = ref !== null
        if (ref) {
          features['referrer.age_s'] = Math.max(0, Math.round((now - ref.t) / 1000))
          if (ref.s !== undefined) features['referrer.reg_score'] = ref.s
          if (ref.d !== undefined) features['referrer.reg_flagged'] = ref.d !== 'allow'
          if (ref.dv !== undefined && identity.device !== undefined) features['referrer.same_device'] = ref.dv === identity.device
        }
      }
    }
    for (const d of rules.catalog.derived) d.compute(features)
    if (req.event === 'coupon_claim') {
      features['account.known'] = memo !== null
      const created = memo?.t ?? (req.account_created_at !== undefined ? Date.parse(req.account_created_at) : undefined)
      if (created !== undefined) features['account.age_s'] = Math.max(0, Math.round((now - created) / 1000))
      if (memo?.s !== undefined) features['account.reg_score'] = memo.s
      if (memo?.d !== undefined) features['account.reg_flagged'] = memo.d !== 'allow'
      if (memo?.r !== undefined) features['account.reg_reasons'] = memo.r.join(',')
      if (memo?.dv !== undefined && identity.device !== undefined) features['account.reg_same_device'] = memo.dv === identity.device
      if (memo?.px !== undefined && identity.ip_prefix !== undefined) features['account.reg_same_prefix'] = memo.px === identity.ip_prefix
    }

    let probability: number | null = null
    let attributions: () => Attribution[] = () => []
    if (model) {
      try {
        const vec = vectorize(model.card.features, features)
        probability = await model.predict(vec)
        features['model.score'] = Math.round(probability * 1e6) / 1e6
        attributions = () => model.explain(vec)
      } catch (err) {
        degraded.push('model')
        this.d.onError?.('model', err)
      }
    } else {
      degraded.push('model')
    }

    const outcome = evaluateRules(rules, req.event, features)
    const thresholds = model?.card.thresholds ?? DEFAULT_THRESHOLDS
    const c = combine(probability, outcome, features, thresholds, attributions)
    const floor = this.d.degradedFloor ?? 'allow'
    if (floor !== 'allow' && degraded.includes('velocity') && SEVERITY[c.decision] < SEVERITY[floor]) {
      c.decision = floor
      c.reasons.push({ code: 'VELOCITY_UNAVAILABLE', rule: 'degraded', action: floor, detail: `velocity counters unavailable; DEGRADED_FLOOR=${floor}` })
    }
    let challenger: DecisionLog['challenger']
    const ch = this.d.challenger?.()
    if (ch && this.d.log) {
      try {
        const p = await ch.predict(vectorize(ch.card.features, features))
        const cc = combine(p, outcome, features, ch.card.thresholds)
        challenger = { model: `${ch.id}@${ch.version}`, score: cc.score, decision: cc.decision }
      } catch (err) {
        this.d.onError?.('challenger', err)
      }
    }
    const decisionId = this.d.mode === 'live' ? `dec_${randomUUID()}` : `dec_${this.d.hash('decision', req.event_id)}`
    const response: ScoreResponse = {
      event_id: req.event_id,
      event: req.event,
      decision: c.decision,
      score: c.score,
      reasons: c.reasons,
      model: model && probability !== null ? { id: model.id, version: model.version, score: Math.round(probability * 1e4) / 1e4 } : null,
      rules: { version: rules.version, matched: outcome.matched.map((r) => r.id), shadow_matched: outcome.shadow.map((r) => r.id) },
      degraded,
      replayed: false,
      latency_ms: 0,
      decision_id: decisionId,
    }
    // Stored without `features` or latency, so a retry gets the decision, not one caller's explain view.
    const stored = degraded.includes('velocity') ? undefined : JSON.stringify(response)
    if (opts.explain) response.features = sortedFeatures(features)
    if (stored !== undefined) {
      const finalize = this.d.store.finalize({
        idempotencyKey: idemKey,
        idempotencyTtlMs: this.d.idempotencyTtlMs,
        response: stored,
        urgent: this.d.mode === 'replay',
        account:
          req.event === 'registration'
            ? { key: accountKey, value: JSON.stringify({ t: memo?.t ?? now, s: c.score, d: c.decision, r: c.reasons.slice(0, 8).map((x) => x.code), dv: identity.device, px: identity.ip_prefix } satisfies AccountMemo), ttlMs: ACCOUNT_TTL_MS }
            : undefined,
      })
      if (this.d.mode === 'replay') await finalize
      else finalize.catch((err) => this.d.onError?.('finalize', err))
    }
    response.latency_ms = this.latency(t0)
    if (this.d.log) this.d.log({
      decision_id: decisionId,
      event_id_hash: eventHash,
      event: req.event,
      decision: c.decision,
      score: c.score,
      model: model ? `${model.id}@${model.version}` : null,
      model_score: response.model?.score ?? null,
      rules_version: rules.version,
      matched: response.rules.matched,
      shadow_matched: response.rules.shadow_matched,
      degraded,
      replayed: false,
      latency_ms: response.latency_ms,
      ids: { account: identity.account, ip: identity.ip, ip_prefix: identity.ip_prefix, device: identity.device, email: identity.email, phone: identity.phone, address: identity.address, payment: identity.payment },
      input: redactInput(req, features),
      challenger,
    })
    return response
  }

  private latency(t0: number): number {
    return this.d.mode === 'replay' ? 0 : Math.round((performance.now() - t0) * 1000) / 1000
  }

  /** A concurrent retry of the same event_id waits briefly for the first request's decision. */
  private async waitForStored(key: string): Promise<BatchResult> {
    for (let i = 0; i < 20; i++) {
      await sleep(5 + i * 2)
      const stored = await this.d.store.stored(key)
      if (stored !== null && !stored.startsWith(PENDING_PREFIX)) return { status: 'replayed', stored }
    }
    throw new ConflictError()
  }
}

function sortedFeatures(f: Features): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {}
  for (const k of Object.keys(f).sort()) out[k] = f[k]!
  return out
}
