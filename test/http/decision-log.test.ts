import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { DecisionLog } from '../../src/scoring/decision-log.js'
import { createRuntime } from '../../src/runtime.js'
import { AUTH, registration, testConfig } from '../helpers.js'

describe('decision log', () => {
  it('writes one line per decision with ids, versions and hashed identifiers only', async () => {
    const lines: DecisionLog[] = []
    const config = testConfig({ PII_SECRET: 'a-test-secret-of-some-length' })
    const runtime = await createRuntime(config, { info() {}, warn() {}, error() {} }, { decisionLog: (l) => lines.push(l) })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const body = registration({ email: 'Secret.Person@gmail.com', phone: '+8613912345678', account_id: 'acct-visible-id', ip: '203.0.113.77', device: { id: 'device-visible-id' } })
    const res = await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })
    expect(res.statusCode).toBe(200)
    expect(lines).toHaveLength(1)
    const line = lines[0]!
    expect(line).toMatchObject({ decision_id: res.json().decision_id, event: 'registration', rules_version: runtime.policy.current.rules.version, model: `${runtime.policy.current.model!.id}@${runtime.policy.current.model!.version}` })
    expect(line.ids.account).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(line.input).toMatchObject({ event: 'registration', email: { domain: 'gmail.com' }, phone: { country: 'CN' }, device: { id_present: true } })
    const text = JSON.stringify(line)
    for (const raw of ['secret', 'Secret', '13912345678', 'acct-visible-id', '203.0.113.77', 'device-visible-id', String(body.event_id)]) expect(text).not.toContain(raw)
    await app.close()
    await runtime.close()
  })

  it('logs a retry answered from the store too, as replayed, with the first decision’s id', async () => {
    const lines: DecisionLog[] = []
    const config = testConfig()
    const runtime = await createRuntime(config, { info() {}, warn() {}, error() {} }, { decisionLog: (l) => lines.push(l) })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const body = registration()
    const first = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })).json()
    // the answer is stored behind the reply
    await new Promise((r) => setTimeout(r, 20))
    const retry = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })).json()
    expect(retry).toMatchObject({ replayed: true, decision_id: first.decision_id, decision: first.decision })
    expect(lines.map((l) => l.replayed)).toEqual([false, true])
    expect(lines[1]).toMatchObject({ decision_id: first.decision_id, event_id_hash: lines[0]!.event_id_hash, decision: first.decision, score: first.score, rules_version: lines[0]!.rules_version })
    await app.close()
    await runtime.close()
  })
})
