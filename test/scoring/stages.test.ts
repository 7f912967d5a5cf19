import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScoreRequest } from '../../src/events/schemas.js'
import { Model } from '../../src/model/model.js'
import { compilePolicy, type Policy } from '../../src/policy/policy.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'
import type { DecisionLog } from '../../src/scoring/decision-log.js'
import { ConflictError, Scorer } from '../../src/scoring/scorer.js'
import { decide } from '../../src/scoring/stages/decide.js'
import { derive } from '../../src/scoring/stages/derive.js'
import { extract } from '../../src/scoring/stages/extract.js'
import { model } from '../../src/scoring/stages/model.js'
import { persist } from '../../src/scoring/stages/persist.js'
import { rules } from '../../src/scoring/stages/rules.js'
import { velocity } from '../../src/scoring/stages/velocity.js'
import { sharedSignalData } from '../../src/signals/shared-data.js'
import { UaAnalyzer } from '../../src/signals/useragent.js'
import { makeHasher } from '../../src/util/hash.js'
import { MemoryStore } from '../../src/velocity/memory-store.js'
import type { VelocityStore } from '../../src/velocity/store.js'
import { claim, login, registration } from '../helpers.js'

const hash = makeHasher('stages-test-secret-0123456789')
const data = sharedSignalData()
const env = { keyPrefix: 't:', signals: { asn: data.asn, disposable: data.disposable, ua: new UaAnalyzer(), hash } }
const set = loadRuleSet('rules')
let shipped: Model
let policy: Policy
const NOW = Date.parse('2026-11-11T00:00:00+08:00')
const req = (body: Record<string, unknown>) => ScoreRequest.parse(body)
const opts = { idempotencyTtlMs: 60_000, nonce: 'n1' }

/** A store that is down: every call fails, as a refused connection does. */
const down: VelocityStore = {
  kind: 'redis',
  execute: () => Promise.reject(new Error('connection refused')),
  finalize: () => Promise.reject(new Error('connection refused')),
  stored: () => Promise.reject(new Error('connection refused')),
  ping: async () => false,
  close: async () => {},
}

beforeAll(async () => {
  shipped = await Model.load('models/risk-gbt', set.catalog)
  policy = compilePolicy({ rules: set, model: shipped }, env)
})
afterAll(async () => {
  await shipped.close()
})

describe('extract', () => {
  it('hashes every identifier into the keys the event will touch', () => {
    const body = registration({ account_id: 'raw-account-7', referrer_account_id: 'raw-inviter-9', referral_code: 'ABC' })
    const ev = extract(req(body), policy, NOW, hash)
    expect(ev.features['event.is_registration']).toBe(true)
    expect(ev.accountKey).toBe(policy.counters.accountKey({ account: hash('acct', 'raw-account-7') }))
    expect(ev.referrerKey).toBe(policy.counters.accountKey({ account: hash('acct', 'raw-inviter-9') }))
    expect([ev.accountKey, ev.referrerKey, ev.idempotencyKey].join(' ')).not.toMatch(/raw-|ABC/)
  })
})

describe('velocity', () => {
  it('writes the counters into the features, and answers a decided retry from the store', async () => {
    const store = new MemoryStore()
    const body = login({ outcome: 'failure', ip: '203.0.113.40' })
    const a = extract(req(body), policy, NOW, hash)
    expect(await velocity(a, store, opts)).toMatchObject({ status: 'fresh' })
    expect(a.features['ip.login_failures_10m']).toBe(1)
    await store.finalize({ idempotencyKey: a.idempotencyKey, idempotencyTtlMs: 60_000, response: JSON.stringify({ decision: 'challenge' }), urgent: true })
    const b = extract(req(body), policy, NOW + 1000, hash)
    expect(await velocity(b, store, opts)).toEqual({ status: 'replayed', stored: { decision: 'challenge' } })
    // the retry counted nothing
    const c = extract(req(login({ outcome: 'failure', ip: '203.0.113.40' })), policy, NOW + 2000, hash)
    await velocity(c, store, opts)
    expect(c.features['ip.login_failures_10m']).toBe(2)
  })

  it('refuses a retry while the first request still holds the claim (the 409 path)', async () => {
    const store = new MemoryStore()
    const body = login()
    await velocity(extract(req(body), policy, NOW, hash), store, opts)
    // the first request never finished: its claim is still pending
    await expect(velocity(extract(req(body), policy, NOW, hash), store, { ...opts, nonce: 'n2' })).rejects.toBeInstanceOf(ConflictError)
  })

  it('marks velocity degraded when the store fails, and goes on without counters', async () => {
    const ev = extract(req(login()), policy, NOW, hash)
    const errors: string[] = []
    expect(await velocity(ev, down, { ...opts, onError: (w) => errors.push(w) })).toEqual({ status: 'unavailable' })
    expect(ev.degraded).toEqual(['velocity'])
    expect(errors).toEqual(['velocity'])
    expect(ev.features['ip.login_failures_10m']).toBeUndefined()
  })
})

describe('derive', () => {
  it('computes the derived features from the counters, and the claim’s account memory', async () => {
    const store = new MemoryStore()
    const account_id = 'acct-derive'
    const reg = extract(req(registration({ account_id, device: { id: 'd-1', platform: 'ios' } })), policy, NOW, hash)
    const v = await velocity(reg, store, opts)
    derive(reg, v)
    await persist(reg, { event_id: reg.req.event_id, event: 'registration', decision: 'review', score: 85, reasons: [{ code: 'DEVICE_FARM', rule: 'x', action: 'review', detail: '' }], model: null, rules: { version: 'test', matched: ['x'], shadow_matched: [] }, degraded: [], replayed: false, latency_ms: 0, decision_id: 'dec_test' }, null, store, { idempotencyTtlMs: 60_000, urgent: true })
    const c = extract(req(claim({ account_id, device: { id: 'd-2', platform: 'android' }, ip: '47.74.1.1' })), policy, NOW + 60_000, hash)
    derive(c, await velocity(c, store, opts))
    expect(c.features).toMatchObject({ 'account.known': true, 'account.age_s': 60, 'account.reg_score': 85, 'account.reg_flagged': true, 'account.reg_reasons': 'DEVICE_FARM', 'account.reg_same_device': false })
    // seen before, never on this device or network
    expect(c.features['account.new_device']).toBe(true)
    expect(c.features['account.new_prefix']).toBe(true)
    const l = extract(req(login({ ip: '203.0.113.41' })), policy, NOW, hash)
    derive(l, await velocity(l, store, opts))
    expect(l.features['site.login_failure_ratio_10m']).toBeCloseTo(5 / 51, 4)
  })
})

describe('model', () => {
  it('scores with the model in force, and degrades without one', async () => {
    const ev = extract(req(registration()), policy, NOW, hash)
    const m = await model(ev)
    expect(m.probability).toBeGreaterThanOrEqual(0)
    expect(ev.features['model.score']).toBeCloseTo(m.probability!, 5)
    const bare = extract(req(registration()), compilePolicy({ rules: set, model: null }, env), NOW, hash)
    expect((await model(bare)).probability).toBeNull()
    expect(bare.degraded).toEqual(['model'])
  })
})

describe('rules', () => {
  it('runs the door’s rules on the features', () => {
    const ev = extract(req(registration({ user_agent: 'python-requests/2.31.0' })), policy, NOW, hash)
    expect(rules(ev).matched.map((r) => r.id)).toContain('shared.automation-client')
    const shopper = extract(req(registration()), policy, NOW, hash)
    expect(rules(shopper).matched.map((r) => r.id)).not.toContain('shared.automation-client')
  })
})

describe('decide', () => {
  it('is where the degraded floor applies: only when velocity failed', async () => {
    const base = { decisionId: 'dec_1', challenger: false }
    const ok = extract(req(login()), policy, NOW, hash)
    const floor = (await decide(ok, { probability: 0.001, attributions: () => [] }, { matched: [], shadow: [] }, { ...base, degradedFloor: 'challenge' })).response
    expect(floor.decision).toBe('allow')
    const failed = extract(req(login()), policy, NOW, hash)
    await velocity(failed, down, opts)
    const r = (await decide(failed, { probability: 0.001, attributions: () => [] }, { matched: [], shadow: [] }, { ...base, degradedFloor: 'challenge' })).response
    expect(r).toMatchObject({ decision: 'challenge', degraded: ['velocity'], decision_id: 'dec_1' })
    expect(r.reasons.at(-1)).toMatchObject({ code: 'VELOCITY_UNAVAILABLE', action: 'challenge' })
  })

  it('scores the challenger on the same features when asked', async () => {
    const lr = await Model.load('models/risk-lr', set.catalog)
    const p = compilePolicy({ rules: set, model: shipped, challenger: lr }, env)
    const ev = extract(req(registration()), p, NOW, hash)
    const m = await model(ev)
    const { challenger } = await decide(ev, m, rules(ev), { decisionId: 'd', degradedFloor: 'allow', challenger: true })
    expect(challenger).toMatchObject({ model: `${lr.id}@${lr.version}` })
    expect(challenger!.score).toBeGreaterThanOrEqual(0)
    await lr.close()
  })
})

describe('persist and record through the scorer', () => {
  it('stores no answer for a degraded event, so its retry is scored afresh and logged again', async () => {
    const lines: DecisionLog[] = []
    const scorer = new Scorer({ store: down, policy: () => policy, hash, idempotencyTtlMs: 60_000, mode: 'replay', log: (l) => lines.push(l) })
    const body = req(login())
    const a = await scorer.score(body)
    const b = await scorer.score(body)
    expect([a.degraded, b.degraded]).toEqual([['velocity'], ['velocity']])
    expect(lines.map((l) => l.replayed)).toEqual([false, false])
  })
})
