import { copyFileSync, cpSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import type { DecisionLog } from '../../src/scoring/decision-log.js'
import { createRuntime } from '../../src/runtime.js'
import { ADMIN, AUTH, login, testConfig } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }

function liveModelDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bouncer-model-live-'))
  cpSync('models/risk-gbt', d, { recursive: true })
  return d
}

/** Deploy-style: the ONNX file first, then the card that vouches for it, each by rename. */
function deploy(from: string, to: string): void {
  for (const f of ['model.onnx', 'card.json']) {
    copyFileSync(join(from, f), join(to, `${f}.tmp`))
    renameSync(join(to, `${f}.tmp`), join(to, f))
  }
}

describe('model hot swap', () => {
  it('swaps in a valid model, refuses a broken one with file and line, and never fails a request', async () => {
    const dir = liveModelDir()
    const config = testConfig({ MODEL_DIR: dir })
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: config.adminKeys })
    const modelOf = async () => (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: login() })).json().model.id
    expect(await modelOf()).toBe('risk-gbt')

    let done = false
    const statuses: number[] = []
    const client = (async () => {
      while (!done) statuses.push((await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: login() })).statusCode)
    })()

    deploy('models/risk-lr', dir)
    const ok = await app.inject({ method: 'POST', url: '/v1/model/reload', headers: ADMIN })
    expect(ok.json()).toMatchObject({ status: 'reloaded' })
    expect(await modelOf()).toBe('risk-lr')

    writeFileSync(join(dir, 'card.json'), '{\n  "id": "risk-lr",\n  "version": 7\n}\n')
    const bad = await app.inject({ method: 'POST', url: '/v1/model/reload', headers: ADMIN })
    expect(bad.statusCode).toBe(422)
    const info = (await app.inject({ url: '/v1/model', headers: ADMIN })).json()
    expect(info.id).toBe('risk-lr')
    expect(info.last_error).toMatchObject({ line: 3 })
    expect(info.last_error.file).toMatch(/card\.json$/)
    expect(await modelOf()).toBe('risk-lr')

    deploy('models/risk-gbt', dir)
    expect((await app.inject({ method: 'POST', url: '/v1/model/reload', headers: ADMIN })).json()).toMatchObject({ status: 'reloaded' })
    expect((await app.inject({ method: 'POST', url: '/v1/model/reload', headers: ADMIN })).json()).toMatchObject({ status: 'unchanged' })
    done = true
    await client
    expect(statuses.length).toBeGreaterThan(0)
    expect(new Set(statuses)).toEqual(new Set([200]))
    expect((await app.inject({ method: 'POST', url: '/v1/model/reload', headers: AUTH })).statusCode).toBe(403)
    await app.close()
    await runtime.close()
  })

  it('reloads by itself when the model directory changes', async () => {
    const dir = liveModelDir()
    const config = testConfig({ MODEL_DIR: dir, RULES_WATCH: 'true' })
    const runtime = await createRuntime(config, quiet, { rulesDebounceMs: 20 })
    deploy('models/risk-lr', dir)
    for (let i = 0; i < 100 && runtime.policy.current.model!.id !== 'risk-lr'; i++) await new Promise((r) => setTimeout(r, 30))
    expect(runtime.policy.current.model!.id).toBe('risk-lr')
    await runtime.close()
  })

  it('scores a challenger in shadow and logs it beside the champion', async () => {
    const lines: DecisionLog[] = []
    const config = testConfig({ CHALLENGER_MODEL_DIR: 'models/risk-lr' })
    const runtime = await createRuntime(config, quiet, { decisionLog: (l) => lines.push(l) })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const res = (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: login({ user_agent: 'python-requests/2.31' }) })).json()
    expect(res.model.id).toBe('risk-gbt')
    expect(JSON.stringify(res)).not.toContain('risk-lr')
    expect(lines[0]!.challenger).toMatchObject({ model: 'risk-lr@2026.11.1' })
    expect(lines[0]!.challenger!.score).toBeGreaterThanOrEqual(0)
    expect(['allow', 'challenge', 'review', 'deny']).toContain(lines[0]!.challenger!.decision)
    await app.close()
    await runtime.close()
  })
})
