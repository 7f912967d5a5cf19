import { describe, expect, it } from 'vitest'
import { combine, thresholdAction } from '../../src/scoring/combine.js'
import type { CompiledRule } from '../../src/rules/ruleset.js'
import { SEVERITY } from '../../src/events/schemas.js'

const T = { challenge: 60, review: 80, deny: 95 }
function r(id: string, action: CompiledRule['action'], score?: number): CompiledRule {
  return { id, action, score, code: id.toUpperCase().replaceAll('.', '_'), description: id, mode: 'enforce', event: 'login', when: 'true', events: ['login'], file: 'x.yaml', line: 1, severity: SEVERITY[action], test: () => true, compiled: true, renderDetail: () => `detail of ${id}` }
}

describe('decision precedence', () => {
  it('allows a low score with no rules', () => {
    expect(combine(0.1, { matched: [], shadow: [] }, {}, T)).toEqual({ decision: 'allow', score: 10, reasons: [] })
  })

  it('takes the most severe rule action and lists reasons most severe first', () => {
    const c = combine(0.05, { matched: [r('a.challenge', 'challenge'), r('b.deny', 'deny'), r('c.review', 'review')], shadow: [] }, {}, T)
    expect(c.decision).toBe('deny')
    expect(c.reasons.map((x) => x.rule)).toEqual(['b.deny', 'c.review', 'a.challenge'])
  })

  it('lets an allow-list rule win over everything', () => {
    const c = combine(0.99, { matched: [r('deny.it', 'deny'), r('vip', 'allow')], shadow: [] }, {}, T)
    expect(c.decision).toBe('allow')
    expect(c.reasons.map((x) => x.rule)).toEqual(['vip'])
  })

  it('escalates by score when the score threshold is more severe than the rules', () => {
    const c = combine(0.9, { matched: [r('a.challenge', 'challenge')], shadow: [] }, {}, T)
    expect(c.decision).toBe('review')
    expect(c.reasons.map((x) => x.code)).toEqual(['A_CHALLENGE', 'HIGH_RISK_SCORE'])
  })

  it('adds rule score adjustments to the model score and clamps to 0–100', () => {
    expect(combine(0.5, { matched: [r('a', 'challenge', 30)], shadow: [] }, {}, T).score).toBe(80)
    expect(combine(0.9, { matched: [r('a', 'challenge', 40)], shadow: [] }, {}, T).score).toBe(100)
    expect(combine(0.1, { matched: [r('a', 'challenge', -40)], shadow: [] }, {}, T).score).toBe(0)
  })

  it('ignores shadow matches', () => {
    expect(combine(0.1, { matched: [], shadow: [r('s', 'deny', 50)] }, {}, T)).toMatchObject({ decision: 'allow', score: 10 })
  })

  it('scores from rules alone when the model is unavailable', () => {
    expect(combine(null, { matched: [r('a', 'challenge', 30)], shadow: [] }, {}, T)).toMatchObject({ decision: 'challenge', score: 30 })
  })

  it('maps scores to threshold actions at the boundaries', () => {
    expect([59, 60, 79, 80, 94, 95].map((s) => thresholdAction(s, T))).toEqual(['allow', 'challenge', 'challenge', 'review', 'review', 'deny'])
  })
})
