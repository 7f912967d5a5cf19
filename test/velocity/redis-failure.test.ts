import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createRuntime } from '../../src/runtime.js'
import { AUTH, login, testConfig, uniq } from '../helpers.js'
import { freePort, startRedis } from '../setup/redis-server.js'

const quiet = { info() {}, warn() {}, error() {} }

describe('Redis failure and recovery', () => {
  it('scores without velocity while Redis is down, says so, and recovers by itself when it returns', async () => {
    const port = await freePort()
    let redis = await startRedis(port)
    const config = testConfig({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '100', REDIS_PREFIX: `f${uniq('p').replaceAll('-', '')}:` })
    const runtime = await createRuntime(config, quiet)
    await (runtime.store as unknown as { ready(): Promise<void> }).ready()
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const ip = '203.0.113.200'
    const score = async () => {
      const res = await app.inject({ method: 'POST', url: '/v1/score?explain=1', headers: AUTH, payload: login({ ip, outcome: 'failure' }) })
      return { status: res.statusCode, body: res.json() }
    }

    const before = await score()
    expect(before.body.degraded).toEqual([])
    expect(before.body.features['ip.login_failures_10m']).toBe(1)

    await redis.stop()
    const during = await score()
    expect(during.status).toBe(200)
    expect(during.body.degraded).toEqual(['velocity'])
    expect(during.body.features['ip.login_failures_10m']).toBeUndefined()
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503)

    redis = await startRedis(port)
    let after = await score()
    for (let i = 0; i < 60 && after.body.degraded.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100))
      after = await score()
    }
    expect(after.status).toBe(200)
    expect(after.body.degraded).toEqual([])
    // a fresh server has no memory of the earlier failures: counting starts again, and works
    expect(after.body.features['ip.login_failures_10m']).toBeGreaterThanOrEqual(1)
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
    await app.close()
    await runtime.close()
    await redis.stop()
  })

  it('says loudly at startup that Redis is unreachable, why in /readyz, and keeps answering degraded', async () => {
    const port = await freePort()
    const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = []
    const log = { info: (obj: object, msg = '') => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }), warn: (obj: object, msg = '') => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }), error: (obj: object, msg = '') => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }) }
    const config = testConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TIMEOUT_MS: '100' })
    const runtime = await createRuntime(config, log)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    try {
      const loud = lines.find((l) => l.level === 'error' && /REDIS UNREACHABLE AT STARTUP/.test(l.msg))
      expect(loud, JSON.stringify(lines)).toBeDefined()
      expect(String(loud!.obj.reason)).toMatch(/ECONNREFUSED|connect/)
      const ready = await app.inject({ url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(ready.json().reason).toMatch(/^velocity store: .*(ECONNREFUSED|connect)/)
      // every answer is degraded, and a retry is scored again (nothing could be stored): as the README says
      const body = login()
      const answers = [] as { degraded: string[]; replayed: boolean }[]
      for (let i = 0; i < 3; i++) answers.push((await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })).json())
      expect(answers.map((a) => [a.degraded, a.replayed])).toEqual([[['velocity'], false], [['velocity'], false], [['velocity'], false]])
      // the stage failures are logged in an operator's words, not the client's internals, and not once per event
      const failures = lines.filter((l) => l.msg.startsWith('scoring stage failed'))
      expect(failures).toHaveLength(1)
      expect((failures[0]!.obj.err as Error).message).toMatch(/^Redis is not connected: /)
      expect(JSON.stringify(lines)).not.toContain("Stream isn't writeable")
    } finally {
      await app.close()
      await runtime.close()
    }
  }, 20_000)

  it('releases the claim of an event answered degraded by a stalled Redis: its retry is scored afresh, not held at 409', async () => {
    const redis = await startRedis(await freePort())
    const config = testConfig({ REDIS_URL: redis.url, REDIS_TIMEOUT_MS: '100', REDIS_PREFIX: `s${uniq('p').replaceAll('-', '')}:` })
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    try {
      const body = login()
      process.kill(redis.pid, 'SIGSTOP')
      const stalled = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })).json()
      expect(stalled.degraded).toEqual(['velocity'])
      process.kill(redis.pid, 'SIGCONT')
      // the claim the stalled call carried lands now, and the release queued behind it takes it back
      let retry = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body }))
      for (let i = 0; i < 50 && retry.statusCode === 200 && retry.json().degraded.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100))
        retry = await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })
      }
      expect(retry.statusCode).toBe(200)
      expect(retry.json()).toMatchObject({ degraded: [], replayed: false })
      // and its answer is now the one a further retry gets
      const again = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })).json()
      expect(again).toMatchObject({ replayed: true, decision_id: retry.json().decision_id })
    } finally {
      process.kill(redis.pid, 'SIGCONT')
      await app.close()
      await runtime.close()
      await redis.stop()
    }
  }, 30_000)
})
