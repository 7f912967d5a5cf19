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
})
