import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { createRuntime } from '../../src/runtime.js'
import { serve, type Served } from '../../loadtest/proc.js'
import { freePort } from '../setup/redis-server.js'
import { AUTH, registration, testConfig, uniq } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }

/**
 * The service benchmark's baselines must stay honest: the echo returns what it is sent, and the naive
 * scorer (the same rules, model and features, computed the slow way) reaches Bouncer's decision and score
 * on a fresh event, where fixed and sliding windows agree.
 */
describe('bench:service baselines', () => {
  let echo: Served
  let naive: Served
  let naiveFixed: Served
  beforeAll(async () => {
    ;[echo, naive, naiveFixed] = await Promise.all([
      serve('bench/servers/echo.ts', await freePort(), {}),
      serve('bench/servers/naive.ts', await freePort(), { REDIS_URL: inject('redisUrl') }),
      serve('bench/servers/naive.ts', await freePort(), { REDIS_URL: inject('redisUrl'), NAIVE_FIX: 'velocity,model,rules' }),
    ])
  }, 60_000)
  afterAll(async () => {
    await Promise.all([echo?.stop(), naive?.stop(), naiveFixed?.stop()])
  })

  it('echo sends the body back', async () => {
    const body = registration()
    const res = await fetch(`${echo.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(body)
  })

  it('the naive scorer, plain and with Bouncer’s parts swapped in, decides fresh registrations as Bouncer does', async () => {
    const config = testConfig()
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    try {
      const decisions: string[] = []
      for (const over of [{}, { ip: '47.74.1.9', user_agent: 'python-requests/2.31', email: `${uniq('x')}@mailinator.com` }]) {
        const body = registration(over)
        const ours = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })).json()
        // the naive scorer, and the same with Bouncer's parts swapped in (the ladder's last rung)
        for (const target of [naive, naiveFixed]) {
          const theirs = (await (await fetch(`${target.url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as typeof ours
          expect(theirs.decision).toBe(ours.decision)
          expect(theirs.score).toBe(ours.score)
          expect(theirs.rules.matched).toEqual(ours.rules.matched)
        }
        decisions.push(ours.decision)
      }
      // a clean sign-up and a scripted one from a cloud network: the comparison covers more than `allow`
      expect(decisions[0]).toBe('allow')
      expect(decisions[1]).not.toBe('allow')
    } finally {
      await app.close()
      await runtime.close()
    }
  })
})
