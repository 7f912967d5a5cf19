import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'
import { createRuntime } from '../../src/runtime.js'
import { ADMIN, AUTH, login, testConfig } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }

function variantDir(edit: (shared: string) => string): { dir: string; shared: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-hot-'))
  cpSync('rules', dir, { recursive: true })
  const shared = edit(readFileSync(join(dir, 'shared.yaml'), 'utf8'))
  writeFileSync(join(dir, 'shared.yaml'), shared)
  return { dir, shared }
}

/** Deploy-style write: the new content appears whole, by rename. */
function atomicWrite(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text)
  renameSync(`${file}.tmp`, file)
}

describe('hot reload', () => {
  it('swaps rule files 50 times under concurrent requests: every answer is 200 with a valid rules version', async () => {
    const a = variantDir((s) => s)
    const b = variantDir((s) => s.replace('    score: 30\n    code: AUTOMATION_CLIENT', '    score: 35\n    code: AUTOMATION_CLIENT'))
    const broken = a.shared.replace('rules:', 'rules: [oops')
    const vA = loadRuleSet(a.dir).version
    const vB = loadRuleSet(b.dir).version
    expect(vA).not.toBe(vB)

    const live = variantDir((s) => s).dir
    const config = testConfig({ RULES_DIR: live, RULES_WATCH: 'true' })
    const runtime = await createRuntime(config, quiet, { rulesDebounceMs: 10 })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: config.adminKeys })

    const seen = new Map<string, number>()
    const statuses = new Map<number, number>()
    let done = false
    const client = async () => {
      while (!done) {
        const res = await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: login({ user_agent: 'python-requests/2.31' }) })
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        if (res.statusCode === 200) {
          const v = res.json().rules.version as string
          seen.set(v, (seen.get(v) ?? 0) + 1)
        }
      }
    }
    const clients = Array.from({ length: 6 }, client)

    let sawError = false
    for (let i = 0; i < 50; i++) {
      const text = i % 10 === 9 ? broken : i % 2 === 0 ? b.shared : a.shared
      atomicWrite(join(live, 'shared.yaml'), text)
      await new Promise((r) => setTimeout(r, 40))
      if (i % 10 === 9) sawError ||= runtime.policy.rulesError !== null
    }
    atomicWrite(join(live, 'shared.yaml'), b.shared)
    await new Promise((r) => setTimeout(r, 150))
    done = true
    await Promise.all(clients)

    expect([...statuses.keys()]).toEqual([200])
    expect([...seen.keys()].every((v) => v === vA || v === vB)).toBe(true)
    // both revisions actually served traffic, so swaps happened while requests were in flight
    expect(seen.get(vA)).toBeGreaterThan(0)
    expect(seen.get(vB)).toBeGreaterThan(0)
    // a broken write was seen and rejected, then cleared by the next good one
    expect(sawError).toBe(true)
    expect(runtime.policy.rulesError).toBeNull()
    expect(runtime.policy.current.rules.version).toBe(vB)
    const rules = (await app.inject({ url: '/v1/rules', headers: ADMIN })).json()
    expect(rules.version).toBe(vB)
    await app.close()
    await runtime.close()
  })

  it('reloads when a list changes', async () => {
    const live = variantDir((s) => s).dir
    const config = testConfig({ RULES_DIR: live, RULES_WATCH: 'true' })
    const runtime = await createRuntime(config, quiet, { rulesDebounceMs: 10 })
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const score = async () => (await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: login({ ip: '198.51.100.44' }) })).json()
    expect((await score()).rules.matched).not.toContain('shared.blocked-ip')
    atomicWrite(join(live, 'lists', 'blocked_ips.txt'), '198.51.100.0/24\n')
    for (let i = 0; i < 50 && runtime.policy.current.rules.lists.named.get('blocked_ips')!.size !== 1; i++) await new Promise((r) => setTimeout(r, 20))
    for (let i = 0; i < 50 && !runtime.policy.current.rules.lists.named.get('blocked_ips')!.has('198.51.100.44'); i++) await new Promise((r) => setTimeout(r, 20))
    expect((await score()).rules.matched).toContain('shared.blocked-ip')
    await app.close()
    await runtime.close()
  })

  it('says which rules stopped running when a door’s rule file is deleted', async () => {
    const { dir } = variantDir((s) => s)
    const config = testConfig({ RULES_DIR: dir, RULES_WATCH: 'false' })
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: config.adminKeys })
    try {
      const loginRules = runtime.policy.current.rules.rules.filter((r) => r.file === 'login.yaml').map((r) => r.id)
      expect(loginRules.length).toBeGreaterThan(0)
      rmSync(join(dir, 'login.yaml'))
      rmSync(join(dir, 'login.cases.yaml'))
      const res = await app.inject({ method: 'POST', url: '/v1/rules/reload', headers: ADMIN })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toMatchObject({ status: 'reloaded', removed: [{ file: 'login.yaml', rules: loginRules }] })
      // a reload that removes nothing says nothing of it
      expect((await app.inject({ method: 'POST', url: '/v1/rules/reload', headers: ADMIN })).json().removed).toBeUndefined()
    } finally {
      await app.close()
      await runtime.close()
    }
  })
})
