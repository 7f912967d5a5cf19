import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { ScoreResponse } from '../../src/events/schemas.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import { MemoryStore } from '../../src/velocity/memory-store.js'
import type { VelocityStore } from '../../src/velocity/store.js'
import { ADMIN, AUTH, claim, login, registration, testConfig, uniq } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }

async function build(over: Record<string, string> = {}): Promise<{ app: FastifyInstance; runtime: Runtime }> {
  const config = testConfig(over)
  const runtime = await createRuntime(config, quiet)
  const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: config.adminKeys, metricsKeys: config.metricsKeys })
  return { app, runtime }
}

const score = (app: FastifyInstance, body: unknown, query = '') =>
  app.inject({ method: 'POST', url: `/v1/score${query}`, headers: { ...AUTH, 'content-type': 'application/json' }, payload: JSON.stringify(body) })

// The same integration suite runs on the embedded store, a real redis-server and a real 3-master cluster.
// The Redis budget is generous and the in-flight limit off here (the event-loop limit is off in every test
// config): these tests are about results, and a 1,000-request burst in one process on a shared machine can
// hold a reply past the production 25 ms, or be shed past 256 in flight (budget, degrading and shedding have
// their own tests).
describe.each([
  ['memory', () => ({ MAX_IN_FLIGHT: '0' })],
  ['redis', () => ({ REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `t${uniq('p').replaceAll('-', '')}:`, REDIS_TIMEOUT_MS: '3000', MAX_IN_FLIGHT: '0' })],
  ['redis cluster', () => ({ REDIS_CLUSTER_NODES: inject('redisClusterNodes'), REDIS_PREFIX: `t${uniq('p').replaceAll('-', '')}:`, REDIS_TIMEOUT_MS: '3000', MAX_IN_FLIGHT: '0' })],
])('POST /v1/score (%s store)', (kind, env) => {
  let app: FastifyInstance
  let runtime: Runtime
  beforeAll(async () => {
    ;({ app, runtime } = await build(env()))
    if (kind !== 'memory') await (runtime.store as unknown as { ready(): Promise<void> }).ready()
  })
  afterAll(async () => {
    await app.close()
    await runtime.close()
  })

  it.each([
    ['registration', registration],
    ['login', login],
    ['coupon_claim', claim],
  ])('returns a contract-shaped decision for a %s', async (_n, make) => {
    const body = make()
    const res = await score(app, body)
    expect(res.statusCode).toBe(200)
    const json = res.json()
    expect(ScoreResponse.parse(json)).toBeTruthy()
    expect(json).toMatchObject({ event_id: body.event_id, event: body.event, degraded: [], replayed: false })
    expect(json.rules.version).toBe(runtime.policy.current.rules.version)
    expect(json.model).toMatchObject({ id: runtime.policy.current.model!.id, version: runtime.policy.current.model!.version })
  })

  it('replays a repeated event_id with the same decision and counts nothing twice', async () => {
    const device = { id: uniq('dev'), platform: 'android' as const }
    const first = registration({ device })
    const a = (await score(app, first)).json()
    const b = (await score(app, first)).json()
    expect(b.replayed).toBe(true)
    expect({ ...b, replayed: false, latency_ms: 0 }).toEqual({ ...a, latency_ms: 0 })
    const third = (await score(app, registration({ device }), '?explain=1')).json()
    expect(third.features['device.registrations_24h']).toBe(2)
  })

  it("reads the inviter's own registration when a sign-up names its referrer", async () => {
    const inviter = registration({ device: { id: uniq('dev'), platform: 'android' as const } })
    const own = (await score(app, inviter)).json()
    const code = uniq('CODE')
    const invited = (await score(app, registration({ referral_code: code, referrer_account_id: inviter.account_id, device: { id: uniq('dev'), platform: 'ios' as const } }), '?explain=1')).json()
    expect(invited.features).toMatchObject({ 'referrer.known': true, 'referrer.reg_score': own.score, 'referrer.reg_flagged': own.decision !== 'allow', 'referrer.same_device': false, 'referral.signups_24h': 1 })
    expect(invited.features['referrer.age_s']).toBeGreaterThanOrEqual(0)
    const stranger = (await score(app, registration({ referral_code: code, referrer_account_id: uniq('never-seen') }), '?explain=1')).json()
    expect(stranger.features['referrer.known']).toBe(false)
    expect(stranger.features['referrer.reg_score']).toBeUndefined()
    expect(stranger.features['referral.signups_24h']).toBe(2)
    const none = (await score(app, registration(), '?explain=1')).json()
    expect(none.features['referrer.known']).toBeUndefined()
  })

  it('answers concurrent retries of one event_id with one decision, counted once', async () => {
    const device = { id: uniq('dev'), platform: 'android' as const }
    const body = registration({ device })
    const answers = (await Promise.all(Array.from({ length: 8 }, () => score(app, body)))).map((r) => ({ status: r.statusCode, json: r.json() }))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(answers.filter((a) => !a.json.replayed)).toHaveLength(1)
    expect(new Set(answers.map((a) => a.json.decision_id)).size).toBe(1)
    const next = (await score(app, registration({ device }), '?explain=1')).json()
    expect(next.features['device.registrations_24h']).toBe(2)
  })

  it('counts 1,000 concurrent requests on one device exactly', async () => {
    const device = { id: uniq('dev'), platform: 'android' as const }
    const answers = await Promise.all(Array.from({ length: 1000 }, () => score(app, login({ device }), '?explain=1')))
    expect(answers.every((r) => r.statusCode === 200)).toBe(true)
    expect(answers.filter((r) => r.json().degraded.length > 0).map((r) => r.json().degraded)).toEqual([])
    const seen = answers.map((r) => r.json().features['device.accounts_1h'] as number)
    // each request saw its own count: 1..1000, none lost, none twice
    expect(new Set(seen).size).toBe(1000)
    expect(Math.max(...seen)).toBe(1000)
  })

  it('counts velocity across events, including the current one', async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`
    const account = uniq('victim')
    let last: { features: Record<string, number> } | undefined
    for (let i = 0; i < 4; i++) last = (await score(app, login({ ip, account_id: account, outcome: 'failure' }), '?explain=1')).json()
    expect(last!.features['ip.login_failures_10m']).toBe(4)
    expect(last!.features['account.login_failures_1h']).toBe(4)
    expect(last!.features['ip.accounts_tried_10m']).toBe(1)
  })

  it('remembers a registration and carries its score to the coupon claim', async () => {
    const account_id = uniq('u')
    const reg = (await score(app, registration({ account_id }))).json()
    // the decision is stored after the response; give the write a moment on the Redis store
    await new Promise((r) => setTimeout(r, 50))
    const c = (await score(app, claim({ account_id }), '?explain=1')).json()
    expect(c.features['account.known']).toBe(true)
    expect(c.features['account.reg_score']).toBe(reg.score)
    expect(c.features['account.age_s']).toBeGreaterThanOrEqual(0)
  })

  it('links a claim to the device, network and verdict of the account’s registration', async () => {
    const account_id = uniq('u')
    const device = { id: uniq('farm-dev'), platform: 'android' as const }
    // a farm-looking registration: automation client from a hosting network
    const reg = (await score(app, registration({ account_id, device, ip: '47.74.1.9', user_agent: 'python-requests/2.31' }))).json()
    expect(reg.decision).not.toBe('allow')
    await new Promise((r) => setTimeout(r, 50))
    const same = (await score(app, claim({ account_id, device, ip: '47.74.1.77' }), '?explain=1')).json()
    expect(same.features['account.reg_flagged']).toBe(true)
    expect(same.features['account.reg_same_device']).toBe(true)
    expect(same.features['account.reg_same_prefix']).toBe(true)
    expect(same.features['account.reg_reasons']).toBe(reg.reasons.slice(0, 8).map((r: { code: string }) => r.code).join(','))
    const other = (await score(app, claim({ account_id, device: { id: uniq('dev'), platform: 'ios' }, ip: '36.112.24.10' }), '?explain=1')).json()
    expect(other.features['account.reg_same_device']).toBe(false)
    expect(other.features['account.reg_same_prefix']).toBe(false)
  })

  it('calls a device or network new only for an account Bouncer has watched before', async () => {
    const account_id = uniq('u')
    const home = { id: uniq('home-dev'), platform: 'ios' as const }
    // the account's first event: nothing to compare with, so nothing is new
    const first = (await score(app, login({ account_id, device: home, ip: '36.112.30.5' }), '?explain=1')).json()
    expect(first.features['account.new_device']).toBe(false)
    expect(first.features['account.new_prefix']).toBe(false)
    const again = (await score(app, login({ account_id, device: home, ip: '36.112.30.9' }), '?explain=1')).json()
    expect(again.features['account.new_device']).toBe(false)
    expect(again.features['account.new_prefix']).toBe(false)
    const elsewhere = (await score(app, claim({ account_id, device: { id: uniq('dev'), platform: 'android' }, ip: '47.74.9.9' }), '?explain=1')).json()
    expect(elsewhere.features['account.new_device']).toBe(true)
    expect(elsewhere.features['account.new_prefix']).toBe(true)
  })

  it('takes absurd coupon values without degrading the account, and every stored key keeps a TTL', async () => {
    const account_id = uniq('rich')
    for (const value of [1e19, 9223372036854774784, 12.5]) {
      const r = (await score(app, claim({ account_id, value }), '?explain=1')).json()
      expect(r.degraded, String(value)).toEqual([])
    }
    const next = (await score(app, claim({ account_id, value: 100 }), '?explain=1')).json()
    expect(next.degraded).toEqual([])
    expect(next.features['account.claimed_value_24h']).toBe(2e12 + 13 + 100)
    type Node = { keys(p: string): Promise<string[]>; pttl(k: string): Promise<number> }
    const client = (runtime.store as unknown as { client?: Node & { nodes?: (role: string) => Node[] } }).client
    if (client) {
      for (const n of client.nodes ? client.nodes('master') : [client]) {
        // the learning streams are bounded by length (DECISIONS_MAX_LEN), not by time: a label may come 120 days later
        const keys = (await n.keys('*')).filter((k) => !k.includes('{learn}'))
        const ttls = await Promise.all(keys.map((k) => n.pttl(k)))
        expect(keys.filter((_, i) => ttls[i]! < 0)).toEqual([])
      }
    }
  })

  it('keeps raw identifiers out of every store key and value', async () => {
    // 192.0.2.0/24 is block-listed: the rule's reason, stored with the decision, must not carry the address
    const raw = { account_id: uniq('raw-account'), email: 'Raw.Person+x@gmail.com', phone: '+8613712345678', ip: '192.0.2.123', device: { id: uniq('raw-device') }, referral_code: 'RAWCODE77', referrer_account_id: uniq('raw-inviter') }
    const reg = (await score(app, registration(raw))).json()
    expect(reg.rules.matched).toContain('shared.blocked-ip')
    await score(app, claim({ account_id: raw.account_id, ip: raw.ip, device: raw.device, shipping_address: 'Raw Street 1', payment_fingerprint: 'raw-pf-123' }))
    await score(app, login({ account_id: raw.account_id, ip: raw.ip, device: raw.device, outcome: 'failure' }))
    // the decisions are stored behind the replies; the decision records are queued
    await new Promise((r) => setTimeout(r, 50))
    await runtime.learning.flush()
    type Node = { xrange(k: string, a: string, b: string): Promise<[string, string[]][]>; keys(p: string): Promise<string[]>; type(k: string): Promise<string>; get(k: string): Promise<string | null>; hgetall(k: string): Promise<Record<string, string>>; zrange(k: string, a: number, b: number): Promise<string[]>; smembers(k: string): Promise<string[]> }
    const store = runtime.store as unknown as { client?: Node & { nodes?: (role: string) => Node[] }; dump?: () => string[] }
    let everything: string
    if (store.client) {
      // on a cluster, every master's keys
      const nodes = store.client.nodes ? store.client.nodes('master') : [store.client]
      const parts: string[] = []
      for (const n of nodes) {
        for (const k of await n.keys('*')) {
          const t = await n.type(k)
          const v = t === 'string' ? await n.get(k) : t === 'hash' ? JSON.stringify(await n.hgetall(k)) : t === 'zset' ? (await n.zrange(k, 0, -1)).join(' ') : t === 'set' ? (await n.smembers(k)).join(' ') : t === 'stream' ? JSON.stringify(await n.xrange(k, '-', '+')) : `(unread type ${t})`
          parts.push(k, v ?? '')
        }
      }
      everything = parts.join('\n')
    } else everything = [...store.dump!(), readFileSync(`.tmp/test-decisions-${process.pid}.ndjson`, 'utf8')].join('\n')
    expect(everything.length).toBeGreaterThan(0)
    // the decision records are in there too
    expect(everything).toContain(runtime.hash('event', reg.event_id))
    expect(everything).toContain('BLOCKED')
    for (const v of [raw.account_id, raw.referrer_account_id, 'rawcode77', 'raw.person', 'rawperson', '13712345678', '192.0.2.123', raw.device.id, 'Raw Street', 'raw-pf-123']) expect(everything.toLowerCase()).not.toContain(v.toLowerCase())
  })

  it('adds the feature vector with ?explain=1 only', async () => {
    const plain = (await score(app, login())).json()
    expect(plain.features).toBeUndefined()
    const ex = (await score(app, login(), '?explain=1')).json()
    expect(ex.features['event.is_login']).toBe(true)
    expect(typeof ex.features['model.score']).toBe('number')
  })
})

describe('HTTP errors and operations', () => {
  let app: FastifyInstance
  let runtime: Runtime
  beforeAll(async () => {
    ;({ app, runtime } = await build())
  })
  afterAll(async () => {
    await app.close()
    await runtime.close()
  })

  it('401 without or with a wrong key', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/score', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(login()) })
    expect(none.statusCode).toBe(401)
    expect(none.json().error).toBe('unauthorized')
    const wrong = await app.inject({ method: 'POST', url: '/v1/score', headers: { authorization: 'Bearer nope-nope-nope-nope', 'content-type': 'application/json' }, payload: '{}' })
    expect(wrong.statusCode).toBe(401)
  })

  it('400 naming the field for an integration error', async () => {
    const res = await score(app, { ...login(), ip: 'not-an-ip', extra: 1 })
    expect(res.statusCode).toBe(400)
    const j = res.json()
    expect(j.error).toBe('invalid_request')
    expect(j.issues.map((i: { path: string }) => i.path).sort()).toEqual(['extra', 'ip'])
  })

  it.each([
    ['an empty JSON body', '', 'application/json', 400, 'invalid_request'],
    ['non-JSON', '{"event":', 'application/json', 400, 'invalid_request'],
    ['a JSON array', '[]', 'application/json', 400, 'invalid_request'],
    ['null', 'null', 'application/json', 400, 'invalid_request'],
    ['text/plain', 'hello', 'text/plain', 415, 'unsupported_media_type'],
    ['form data', 'a=b', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
  ])('%s gets a clean 4xx', async (_n, payload, type, status, code) => {
    const res = await app.inject({ method: 'POST', url: '/v1/score', headers: { ...AUTH, 'content-type': type }, payload })
    expect(res.statusCode).toBe(status)
    expect(res.json().error).toBe(code)
  })

  it('413 for a body over 64 KiB', async () => {
    const res = await score(app, registration({ user_agent: 'x'.repeat(70_000) }))
    expect(res.statusCode).toBe(413)
    expect(res.json().error).toBe('payload_too_large')
  })

  it('scores odd end-user values instead of refusing them', async () => {
    const res = await score(app, registration({ email: 'bad\u0007@@', phone: 'call me', user_agent: 'y'.repeat(3000), behavior: { fill_ms: -1, keystrokes: 1e12 } }), '?explain=1')
    expect(res.statusCode).toBe(200)
    expect(res.json().features).toMatchObject({ 'email.malformed': true, 'phone.valid': false, 'ua.truncated': true, 'behavior.invalid': true })
  })

  it('survives a burst of random garbage without a 5xx', async () => {
    const samples = ['{', '{"event":null}', '{"event":"login","event_id":1}', '"str"', '1e999', '{"__proto__":{"x":1}}', JSON.stringify({ ...login(), device: { id: 5 } }), JSON.stringify({ ...claim(), value: -1 })]
    for (const payload of samples) {
      const res = await app.inject({ method: 'POST', url: '/v1/score', headers: { ...AUTH, 'content-type': 'application/json' }, payload })
      expect(res.statusCode, payload).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, payload).toBeLessThan(500)
    }
  })

  it('404 in the same error shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/nothing', headers: AUTH })
    expect(res.statusCode).toBe(404)
    expect(res.json().error).toBe('not_found')
  })

  it('stores feedback labels', async () => {
    const event_id = uniq('fb')
    const res = await app.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id, label: 'fraud', source: 'chargeback' } })
    expect(res.statusCode).toBe(202)
    const lines = readFileSync(`.tmp/test-feedback-${process.pid}.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    // keyed like the decision records: the hashed event id, never the raw one
    expect(lines.find((l) => l.event_id_hash === runtime.hash('event', event_id))).toMatchObject({ label: 'fraud', source: 'chargeback' })
    expect(readFileSync(`.tmp/test-feedback-${process.pid}.ndjson`, 'utf8')).not.toContain(event_id)
    const bad = await app.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id, label: 'maybe', source: 'x' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().issues[0].path).toBe('label')
  })

  it('answers 503 while the feedback file cannot be written, and recovers by itself once it can', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-fb-'))
    // the file's directory is a regular file: every append fails (and boot must not)
    writeFileSync(join(dir, 'labels'), 'not a directory')
    const { app: a, runtime: r } = await build({ FEEDBACK_FILE: join(dir, 'labels', 'feedback.ndjson') })
    try {
      const post = () => a.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id: uniq('fb'), label: 'legit', source: 'manual_review' } })
      const down = await post()
      expect(down.statusCode).toBe(503)
      expect(down.headers['retry-after']).toBe('5')
      expect(down.json()).toMatchObject({ error: 'service_unavailable' })
      expect((await post()).statusCode).toBe(503)
      rmSync(join(dir, 'labels'))
      mkdirSync(join(dir, 'labels'))
      expect((await post()).statusCode).toBe(202)
      expect(readFileSync(join(dir, 'labels', 'feedback.ndjson'), 'utf8').trim().split('\n')).toHaveLength(1)
    } finally {
      await a.close()
      await r.close()
    }
  })

  it('answers a retry with the stored decision, and refuses the same event_id with a different body (409)', async () => {
    const body = login({ outcome: 'failure' })
    const first = (await score(app, body)).json()
    await new Promise((r) => setTimeout(r, 30))
    // the same request, its fields in another order: a retry
    const reordered = Object.fromEntries(Object.entries(body).reverse())
    expect((await score(app, reordered)).json()).toMatchObject({ replayed: true, decision_id: first.decision_id })
    const other = await score(app, { ...body, outcome: 'success' })
    expect(other.statusCode).toBe(409)
    expect(other.json()).toMatchObject({ error: 'conflict' })
    expect(other.json().message).toMatch(/already scored with a different body/)
  })

  it('405 with Allow for a known path and another method, 404 for an unknown path', async () => {
    const res = await app.inject({ method: 'PUT', url: '/v1/score', headers: AUTH, payload: '{}' })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
    expect(res.json()).toMatchObject({ error: 'method_not_allowed' })
    expect((await app.inject({ method: 'DELETE', url: '/v1/rules', headers: ADMIN })).headers.allow).toBe('GET')
    expect((await app.inject({ method: 'GET', url: '/v1/nothing', headers: AUTH })).statusCode).toBe(404)
  })

  it('health, readiness, rules and OpenAPI', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'ready', store: 'memory' })
    // the policy's detail is for admins: a storefront key gets 403
    expect((await app.inject({ url: '/v1/rules', headers: AUTH })).statusCode).toBe(403)
    expect((await app.inject({ url: '/v1/model', headers: AUTH })).statusCode).toBe(403)
    const rules = (await app.inject({ url: '/v1/rules', headers: ADMIN })).json()
    expect(rules.version).toBe(runtime.policy.current.rules.version)
    expect(rules.rules.find((r: { id: string }) => r.id === 'shared.internal-ip')).toMatchObject({ mode: 'shadow' })
    const doc = (await app.inject({ url: '/openapi.json' })).json()
    expect(doc.paths['/v1/score'].post).toBeTruthy()
    // `event` discriminates the request: each door's component accepts exactly its own event name
    const request = doc.components.schemas.ScoreRequest
    expect(request.discriminator.propertyName).toBe('event')
    expect(Object.keys(request.discriminator.mapping).sort()).toEqual(['coupon_claim', 'login', 'registration'])
    for (const [door, ref] of Object.entries(request.discriminator.mapping as Record<string, string>)) {
      const component = doc.components.schemas[ref.replace('#/components/schemas/', '')]
      expect(component.properties.event.enum ?? [component.properties.event.const], door).toEqual([door])
      expect(component.required, door).toContain('event_id')
    }
    expect((await app.inject({ url: '/docs/' })).statusCode).toBe(200)
  })

  it('makes the OpenAPI paths from the routes, and refuses to start with a route that carries no operation', async () => {
    const config = testConfig()
    const r = await createRuntime(config, quiet)
    const a = await buildApp(config, { runtime: r, apiKeys: config.apiKeys!, adminKeys: config.adminKeys })
    a.get('/v1/documented', { config: { openapi: { summary: 'a route added here' } } }, async () => ({}))
    a.post('/v1/undocumented', async () => ({}))
    await expect(a.ready()).rejects.toThrow('routes without an OpenAPI operation (config.openapi): POST /v1/undocumented')
    expect((a as unknown as { swagger(): { paths: Record<string, unknown> } }).swagger().paths['/v1/documented']).toEqual({ get: { summary: 'a route added here' } })
    await a.close().catch(() => {})
    await r.close()
  })

  it('documents every route it serves in the OpenAPI document, and nothing it does not serve', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    // the app refuses to start with a route the document lacks (onReady); here, the other direction
    expect(documented.length).toBeGreaterThan(8)
    for (const d of documented) {
      const [method, url] = d.split(' ') as [string, string]
      expect(app.hasRoute({ method: method as 'GET', url }), d).toBe(true)
    }
  })

  it('exposes decisions and rule hits, shadow rules apart, as Prometheus metrics', async () => {
    await score(app, login({ ip: '10.0.0.8', user_agent: 'python-requests/2.31' }))
    await app.inject({ url: '/no/such/path' })
    const text = (await app.inject({ url: '/metrics', headers: ADMIN })).body
    expect(text).toMatch(/bouncer_decisions_total\{event="login",decision="\w+"\} [1-9]/)
    // requests by the router's pattern, so unknown paths are one series and not one per path
    expect(text).toMatch(/^bouncer_http_requests_total\{route="\/v1\/score",method="POST",status="200"\} [1-9]/m)
    expect(text).toMatch(/^bouncer_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/m)
    expect(text).toContain('bouncer_http_request_duration_seconds_bucket{le="0.005",route="/v1/score"}')
    expect(text).toMatch(/^bouncer_stage_duration_seconds_count\{stage="velocity"\} [1-9]/m)
    expect(text).toMatch(/^bouncer_stage_duration_seconds_count\{stage="model"\} [1-9]/m)
    // the adaptive limit, between its floor and MAX_IN_FLIGHT (where it sits unless earlier tests' bursts lowered it)
    const limit = Number(/^bouncer_admission_limit (\d+)$/m.exec(text)?.[1])
    expect(limit).toBeGreaterThanOrEqual(Math.min(64, testConfig().maxInFlight))
    expect(limit).toBeLessThanOrEqual(testConfig().maxInFlight)
    const { rules, model } = runtime.policy.current
    expect(text).toContain(`bouncer_build_info{version="${JSON.parse(readFileSync('package.json', 'utf8')).version}",rules_version="${rules.version}",model_version="${model!.id}@${model!.version}",node_version="${process.version}"} 1`)
    expect(text).toMatch(/bouncer_rule_hits_total\{rule="shared.internal-ip",mode="shadow"\} [1-9]/)
    expect(text).toMatch(/bouncer_rule_hits_total\{rule="shared.automation-client",mode="enforce"\} [1-9]/)
    expect(text).toContain('bouncer_score_duration_seconds_bucket')
    // the decision records' queue, read at scrape time
    await runtime.learning.flush()
    const after = (await app.inject({ url: '/metrics', headers: ADMIN })).body
    expect(Number(/^bouncer_decision_records_written_total (\d+)$/m.exec(after)?.[1])).toBeGreaterThan(0)
    expect(after).toMatch(/^bouncer_decision_records_dropped_total 0$/m)
    expect(after).toMatch(/^bouncer_decision_records_queued 0$/m)
    // drift series appear once a window of events completes; the gauges are declared from the start
    expect(after).toContain('# TYPE bouncer_model_score_psi gauge')
  })

  it('answers the model’s calibrated probability beside its raw score', async () => {
    const r = (await score(app, login())).json()
    expect(r.model.probability).toBeTypeOf('number')
    expect(r.model.probability).toBeGreaterThanOrEqual(0)
    expect(r.model.probability).toBeLessThanOrEqual(1)
    expect(r.model.probability).toBeCloseTo(runtime.policy.current.model!.probability(r.model.score)!, 3)
  })

  it('shows /metrics to a metrics or admin key only: it names every rule', async () => {
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401)
    expect((await app.inject({ url: '/metrics', headers: AUTH })).statusCode).toBe(403)
    expect((await app.inject({ url: '/metrics', headers: ADMIN })).statusCode).toBe(200)
    const scraper = await build({ METRICS_KEYS: 'scrape-key-0123456789abcdef', MAX_IN_FLIGHT: '0' })
    const asScraper = { authorization: 'Bearer scrape-key-0123456789abcdef' }
    const res = await scraper.app.inject({ url: '/metrics', headers: asScraper })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('# TYPE bouncer_decisions_total counter')
    // a metrics key opens nothing else
    expect((await scraper.app.inject({ method: 'POST', url: '/v1/score', headers: { ...asScraper, 'content-type': 'application/json' }, payload: JSON.stringify(login()) })).statusCode).toBe(401)
    await scraper.app.close()
    await scraper.runtime.close()
  })

  it('reloads rules only with an admin key', async () => {
    expect((await app.inject({ method: 'POST', url: '/v1/rules/reload', headers: AUTH })).statusCode).toBe(403)
    const ok = await app.inject({ method: 'POST', url: '/v1/rules/reload', headers: ADMIN })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().version).toBe(runtime.policy.current.rules.version)
  })
})

describe('degraded velocity', () => {
  it('applies DEGRADED_FLOOR to events scored without velocity', async () => {
    const { app, runtime } = await build({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_TIMEOUT_MS: '50', DEGRADED_FLOOR: 'challenge' })
    const res = (await score(app, login())).json()
    expect(res.degraded).toEqual(['velocity'])
    expect(res.decision).not.toBe('allow')
    expect(res.reasons.map((r: { code: string }) => r.code)).toContain('VELOCITY_UNAVAILABLE')
    await app.close()
    await runtime.close()
  })

  it('scores without velocity, and says so, when Redis is unreachable', async () => {
    const { app, runtime } = await build({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_TIMEOUT_MS: '50' })
    const res = await score(app, login(), '?explain=1')
    expect(res.statusCode).toBe(200)
    expect(res.json().degraded).toEqual(['velocity'])
    expect(res.json().features['ip.login_failures_10m']).toBeUndefined()
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503)
    await app.close()
    await runtime.close()
  })
})

describe('load shedding', () => {
  it('answers 503 with Retry-After while the event loop is stalled, then recovers', async () => {
    const config = testConfig({ MAX_EVENT_LOOP_DELAY_MS: '20' })
    const runtime = await createRuntime(config, quiet)
    // 50 ms: a sample window shorter than the monitor's 10 ms resolution can be empty, which the plugin reads as infinite delay
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [], metricsKeys: ['scrape-key-0123456789abcdef'], pressureSampleMs: 50 })
    await app.ready()
    // Stall the loop well past the budget; the next sample sees it and requests are shed until a later
    // sample sees a healthy loop again.
    const until = Date.now() + 400
    while (Date.now() < until) {
      // busy: the overload being simulated
    }
    let shed: Awaited<ReturnType<typeof score>> | undefined
    for (let i = 0; i < 20 && !shed; i++) {
      const res = await score(app, login())
      if (res.statusCode === 503) shed = res
      else await new Promise((r) => setTimeout(r, 5))
    }
    expect(shed?.statusCode).toBe(503)
    expect(shed!.headers['retry-after']).toBe('1')
    expect(shed!.json().error).toBe('service_unavailable')
    let ok = 0
    for (let i = 0; i < 40 && ok === 0; i++) {
      await new Promise((r) => setTimeout(r, 50))
      if ((await score(app, login())).statusCode === 200) ok++
    }
    expect(ok).toBe(1)
    const metrics = (await app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-key-0123456789abcdef' } })).body
    expect(Number(/^bouncer_shed_total\{reason="event_loop"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0)
    await app.close()
    await runtime.close()
  })
})

describe('in-flight limit', () => {
  it('refuses scoring requests past MAX_IN_FLIGHT with 503 + Retry-After, before parsing them, and admits again once they finish', async () => {
    const { app, runtime } = await build({ MAX_IN_FLIGHT: '3' })
    // 12 at once: the first three are admitted and wait on the model's batch, the rest find three in flight
    const burst = await Promise.all(Array.from({ length: 12 }, () => score(app, login())))
    const ok = burst.filter((r) => r.statusCode === 200)
    const shed = burst.filter((r) => r.statusCode === 503)
    expect(ok.length).toBe(3)
    expect(shed.length).toBe(9)
    expect(shed[0]!.headers['retry-after']).toBe('1')
    expect(shed[0]!.json()).toMatchObject({ error: 'service_unavailable' })
    expect(shed[0]!.json().message).toContain('MAX_IN_FLIGHT=3')
    // a body that would be a 400 is not even read while over the limit
    const tooMany = await Promise.all([...Array.from({ length: 3 }, () => score(app, login())), score(app, { nonsense: true })])
    expect(tooMany[3]!.statusCode).toBe(503)
    // finished requests release their places: one at a time, every one is admitted
    for (let i = 0; i < 10; i++) expect((await score(app, login())).statusCode).toBe(200)
    const metrics = (await app.inject({ url: '/metrics', headers: ADMIN })).body
    expect(metrics).toMatch(/^bouncer_shed_total\{reason="in_flight"\} 10$/m)
    await app.close()
    await runtime.close()
  })

  it('admits everything with MAX_IN_FLIGHT=0', async () => {
    const { app, runtime } = await build({ MAX_IN_FLIGHT: '0' })
    const burst = await Promise.all(Array.from({ length: 40 }, () => score(app, login())))
    expect(burst.every((r) => r.statusCode === 200)).toBe(true)
    await app.close()
    await runtime.close()
  })

  it('releases the place of a request whose client hung up before the answer', async () => {
    const { app, runtime } = await build({ MAX_IN_FLIGHT: '1' })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const { connect } = await import('node:net')
    for (let i = 0; i < 3; i++) {
      // headers sent, body promised but never sent: the request is admitted, then the client goes away
      const sock = connect(port, '127.0.0.1')
      await new Promise((r) => sock.once('connect', r))
      sock.write(`POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`)
      await new Promise((r) => setTimeout(r, 50))
      sock.destroy()
      await new Promise((r) => setTimeout(r, 50))
    }
    const res = await fetch(`http://127.0.0.1:${port}/v1/score`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(login()) })
    expect(res.status).toBe(200)
    await app.close()
    await runtime.close()
  })
})

describe('in-flight limit and slow bodies', () => {
  it('does not let stalled bodies take the scoring places, and counts a percent-encoded path like the plain one', async () => {
    const { app, runtime } = await build({ MAX_IN_FLIGHT: '2' })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const { connect } = await import('node:net')
    const stalled = []
    for (let i = 0; i < 5; i++) {
      // headers and one byte of a promised 100: the body never arrives (REQUEST_TIMEOUT_MS ends it later)
      const sock = connect(port, '127.0.0.1')
      await new Promise((r) => sock.once('connect', r))
      sock.on('error', () => {})
      sock.write(`POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`)
      stalled.push(sock)
    }
    await new Promise((r) => setTimeout(r, 50))
    const post = (path: string) => fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(login()) })
    expect((await post('/v1/score')).status).toBe(200)
    // the router decodes %73 to s: the same route, so the same count. 12 at once, as in the test above: the
    // first two wait on the model's batch, the rest find the places taken
    const burst = await Promise.all(Array.from({ length: 12 }, () => app.inject({ method: 'POST', url: '/v1/%73core', headers: AUTH, payload: login() })))
    expect(burst.filter((r) => r.statusCode === 200).length).toBe(2)
    expect(burst.filter((r) => r.statusCode === 503).length).toBe(10)
    for (const s of stalled) s.destroy()
    await app.close()
    await runtime.close()
  })

  it('answers an unknown path 404 without a key, and a known one 401', async () => {
    const { app, runtime } = await build()
    const unknown = await app.inject({ method: 'GET', url: '/' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error).toBe('not_found')
    expect((await app.inject({ method: 'POST', url: '/v1/score', payload: login() })).statusCode).toBe(401)
    await app.close()
    await runtime.close()
  })
})

describe('shutdown', () => {
  it('finishes the admitted request, answers one that arrives while closing 503 + Retry-After, and closes the connection instead of resetting it', async () => {
    const { app, runtime } = await build({ MAX_IN_FLIGHT: '0' })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const { connect } = await import('node:net')
    const sock = connect(port, '127.0.0.1')
    await new Promise((r) => sock.once('connect', r))
    let received = ''
    let reset = false
    sock.on('data', (d: Buffer) => (received += d.toString()))
    sock.on('error', () => (reset = true))
    const ended = new Promise((r) => sock.once('close', r))
    const request = (body: unknown) => {
      const json = JSON.stringify(body)
      return `POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`
    }
    // the first has been admitted (its headers read, its body still arriving) when close begins; the second,
    // pipelined behind it on the same keep-alive connection, is read while the server is closing
    const first = request(login())
    const cut = first.length - 5
    sock.write(first.slice(0, cut))
    await new Promise((r) => setTimeout(r, 200))
    const closed = app.close()
    sock.write(first.slice(cut) + request(login()))
    await closed
    await ended
    expect(reset).toBe(false)
    // a response's status line follows the previous body directly
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]))
    expect(statuses).toEqual([200, 503])
    const second = received.slice(received.lastIndexOf('HTTP/1.1 503'))
    expect(second).toMatch(/^retry-after: 1\r$/im)
    expect(second).toMatch(/^connection: close\r$/im)
    expect(second).toContain('"error":"service_unavailable"')
    await runtime.close()
  })
})

describe('cold start', () => {
  it('does not read the first failed login of a fresh service as a stuffing campaign', async () => {
    const { app, runtime } = await build()
    const res = (await score(app, login({ ip: '240e:3b0:1234:5678::1', outcome: 'failure', user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' }), '?explain=1')).json()
    expect(res.features['site.login_failure_ratio_10m']).toBeLessThan(0.2)
    expect(res.decision).toBe('allow')
    await app.close()
    await runtime.close()
  })
})

describe('refusing fast', () => {
  it('refuses a scoring request while every place is taken from the request event, and the connection stays usable', async () => {
    const config = testConfig({ MAX_IN_FLIGHT: '2' })
    // a store that holds every batch until released: the admitted requests stay in flight as long as the test wants
    const inner = new MemoryStore()
    let open!: () => void
    const gate = new Promise<void>((r) => (open = r))
    const store: VelocityStore = Object.assign(Object.create(inner) as VelocityStore, { execute: async (b: Parameters<VelocityStore['execute']>[0]) => (await gate, inner.execute(b)) })
    const runtime = await createRuntime(config, quiet, { store })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: config.adminKeys })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const url = `http://127.0.0.1:${port}/v1/score`
    const held = [0, 1].map(() => fetch(url, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(login()) }))
    await new Promise((r) => setTimeout(r, 100))
    const { connect } = await import('node:net')
    const sock = connect(port, '127.0.0.1')
    await new Promise((r) => sock.once('connect', r))
    let received = ''
    sock.on('data', (d) => (received += d.toString()))
    // two requests pipelined on one keep-alive connection, bodies and all: both refused, the second after
    // Node has discarded the first one's unread body
    const body = JSON.stringify(login())
    const req = `POST /v1/score?explain=1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    sock.write(req + req)
    for (let i = 0; i < 100 && (received.match(/HTTP\/1\.1 /g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 20))
    const answers = received.split(/(?=HTTP\/1\.1 )/)
    expect(answers.map((a) => a.slice(9, 12))).toEqual(['503', '503'])
    expect(answers[0]).toMatch(/\r\nretry-after: 1\r\n/i)
    // refused in Node's request event, not by the hooks (whose message counts the requests in flight)
    expect(JSON.parse(answers[0]!.split('\r\n\r\n')[1]!)).toEqual({ error: 'service_unavailable', message: 'over capacity (scoring requests in flight at the admission limit, refused on arrival); retry after 1 s' })
    open()
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200])
    // places free again: the same connection is admitted
    received = ''
    sock.write(req)
    for (let i = 0; i < 100 && !received.includes('\r\n\r\n{'); i++) await new Promise((r) => setTimeout(r, 20))
    expect(received.slice(9, 12)).toBe('200')
    const metrics = (await app.inject({ url: '/metrics', headers: ADMIN })).body
    expect(metrics).toMatch(/^bouncer_shed_total\{reason="in_flight"\} 2$/m)
    sock.destroy()
    await app.close()
    await runtime.close()
  })
})
