import { describe, expect, it } from 'vitest'
import type { ScoreResponse } from '../../../src/events/schemas.js'
import { gateFailures, hitRates } from '../../../src/offline/rules/hit-rates.js'
import { loadRuleSet } from '../../../src/rules/ruleset.js'

const response = (decision: ScoreResponse['decision'], matched: string[], reasons: ScoreResponse['reasons'] = [], shadow: string[] = []): ScoreResponse => ({
  event_id: 'e', event: 'login', decision, score: 0, reasons, model: null, rules: { version: 'v', matched, shadow_matched: shadow }, degraded: [], replayed: false, latency_ms: 0, decision_id: 'd',
})
const shipped = loadRuleSet('rules')

describe('per-rule hit rates', () => {
  it('counts hits on legit and fraud apart, shadow rules included, and credits friction to the reasons that asked for the decision', () => {
    const rows = [
      { label: 'legit', response: response('challenge', ['shared.automation-client', 'registration.disposable-email'], [{ code: 'A', rule: 'shared.automation-client', action: 'challenge' }, { code: 'B', rule: 'registration.disposable-email', action: 'challenge' }]) },
      { label: 'legit', response: response('review', ['shared.automation-client'], [{ code: 'R', rule: 'coupon.address-ring', action: 'review' }, { code: 'A', rule: 'shared.automation-client', action: 'challenge' }]) },
      { label: 'legit', response: response('allow', [], [], ['shared.platform-contradiction']) },
      { label: 'fraud', response: response('deny', ['shared.automation-client'], [{ code: 'S', rule: 'score', action: 'deny' }]) },
      { label: undefined, response: response('deny', ['shared.automation-client']) },
    ]
    const h = hitRates(rows, shipped.rules)
    const of = (id: string) => h.rules.find((r) => r.rule === id)!
    expect([h.legit, h.fraud, h.legit_not_allowed]).toEqual([3, 1, 2])
    expect(of('shared.automation-client')).toMatchObject({ legit_hits: 2, fraud_hits: 1, caused_friction: 1, mode: 'enforce', action: 'challenge' })
    expect(of('shared.automation-client').legit_rate).toBeCloseTo(2 / 3)
    expect(of('coupon.address-ring').caused_friction).toBe(1)
    expect(of('shared.platform-contradiction')).toMatchObject({ mode: 'shadow', legit_hits: 1 })
    expect(of('score')).toMatchObject({ mode: 'threshold', fraud_hits: 1 })
    // rules that never matched are listed with zero hits, so a silent rule shows
    expect(of('shared.blocked-ip')).toMatchObject({ legit_hits: 0, fraud_hits: 0 })
  })

  it('the gate fails enforcing friction rules over 0.1% of legit traffic, unless justified; shadow rules and allow-lists pass', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ label: 'legit', response: response(i < 2 ? 'challenge' : 'allow', i < 2 ? ['shared.automation-client', 'shared.trusted-account'] : [], [], i < 5 ? ['shared.platform-contradiction'] : []) }))
    expect(gateFailures(hitRates(rows, shipped.rules)).map((r) => r.rule)).toEqual(['shared.automation-client'])
    const justified = shipped.rules.map((r) => (r.id === 'shared.automation-client' ? { ...r, justification: 'x'.repeat(40) } : r))
    expect(gateFailures(hitRates(rows, justified))).toEqual([])
    const oneInAThousand = rows.map((r, i) => (i === 1 ? { label: 'legit', response: response('allow', []) } : r))
    expect(gateFailures(hitRates(oneInAThousand, shipped.rules))).toEqual([])
  })
})
