import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ScoreRequest } from '../../../src/events/schemas.js'
import { sharedSignalData } from '../../../src/signals/shared-data.js'
import { loadSimParams } from '../../../src/offline/sim/params.js'
import { ATTACK_FAMILIES, DEFAULT_PARAMS, simulate } from '../../../src/offline/sim/simulate.js'
import { uaPool } from '../../../src/offline/sim/user-agents.js'
import { loadRuleSet } from '../../../src/rules/ruleset.js'
import { parseIp } from '../../../src/util/ip.js'

const asn = sharedSignalData().asn
const small = { ...DEFAULT_PARAMS, scale: 0.05, days: 2, rushAtHour: 30 }

describe('traffic simulator', () => {
  it('is reproducible: the same seed gives the same events, another seed different ones', () => {
    const a = JSON.stringify(simulate(asn, { ...small, seed: 3 }))
    expect(JSON.stringify(simulate(asn, { ...small, seed: 3 }))).toBe(a)
    expect(JSON.stringify(simulate(asn, { ...small, seed: 4 }))).not.toBe(a)
  })

  it('produces every attack family and hard-negative group, all as valid /v1/score bodies in time order', () => {
    const events = simulate(asn, { ...small, seed: 9 })
    const families = new Set(events.map((e) => e.sim.family))
    for (const f of [...ATTACK_FAMILIES, 'legit', 'campus_nat', 'family_phone', 'office_proxy', 'influencer_invite']) expect(families, f).toContain(f)
    const tags = new Set(events.flatMap((e) => e.sim.tags))
    for (const t of ['rush', 'new_user_coupon', 'typo', 'privacy_relay', 'cgnat']) expect(tags).toContain(t)
    for (const e of events) {
      const { label, sim, ...body } = e
      expect(ScoreRequest.safeParse(body).success, JSON.stringify(body)).toBe(true)
      expect(label === 'fraud').toBe(ATTACK_FAMILIES.includes(sim.family))
    }
    const times = events.map((e) => e.occurred_at!)
    expect([...times].sort()).toEqual(times)
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length)
  })

  it('makes the midnight rush about 20x the normal sign-up rate', () => {
    const events = simulate(asn, { ...small, scale: 0.2, seed: 11 })
    const regs = events.filter((e) => e.event === 'registration' && e.sim.family === 'legit')
    const rush = regs.filter((e) => e.sim.tags.includes('rush')).length
    const perHour = (regs.length - rush) / (small.days * 24)
    expect(rush / perHour).toBeGreaterThan(10)
  })

  it('reads parameters from a config file, over the defaults, and validates them', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bouncer-sim-')), 'sim.json')
    writeFileSync(file, JSON.stringify({ scale: 0.5, farms: 2 }))
    expect(loadSimParams(file)).toMatchObject({ scale: 0.5, farms: 2, legitUsers: DEFAULT_PARAMS.legitUsers })
    writeFileSync(file, JSON.stringify({ scale: -1 }))
    expect(() => loadSimParams(file)).toThrow(/scale/)
  })
})

describe('simulated shoppers meet real clients and real crowds', () => {
  const events = simulate(asn, { ...DEFAULT_PARAMS, scale: 0.2, seed: 21 })
  const legit = events.filter((e) => e.label === 'legit')

  it('gives shoppers user agents from the real-client corpus, dozens of distinct ones per platform', () => {
    const pool = uaPool().byPlatform
    const byPlatform = new Map<string, Set<string>>()
    for (const e of legit) {
      if (!e.user_agent || !e.device?.platform) continue
      expect(pool[e.device.platform].uas, e.user_agent).toContain(e.user_agent)
      ;(byPlatform.get(e.device.platform) ?? byPlatform.set(e.device.platform, new Set()).get(e.device.platform)!).add(e.user_agent)
    }
    for (const p of ['web', 'ios', 'android']) expect(byPlatform.get(p)!.size, p).toBeGreaterThan(50)
    expect(byPlatform.get('mini_program')!.size).toBeGreaterThan(5)
  })

  it('puts privacy-relay shoppers on hosting networks and thousands of events behind a carrier NAT address', () => {
    const hosting = new Set(loadRuleSet('rules').lists.hostingAsns)
    const relay = legit.filter((e) => e.sim.tags.includes('privacy_relay'))
    expect(relay.length).toBeGreaterThan(50)
    const onHosting = relay.filter((e) => hosting.has(asn.lookup(parseIp(e.ip)!))).length
    expect(onHosting / relay.length).toBeGreaterThan(0.9)
    const perIp = new Map<string, Set<string>>()
    for (const e of legit.filter((x) => x.sim.tags.includes('cgnat'))) (perIp.get(e.ip) ?? perIp.set(e.ip, new Set()).get(e.ip)!).add(e.account_id)
    expect(Math.max(...[...perIp.values()].map((s) => s.size))).toBeGreaterThan(100)
  })

  it("an influencer's code brings many distinct people; a farm's codes bring few devices", () => {
    const codeStats = (fam: string) => {
      const by = new Map<string, { n: number; devices: Set<string> }>()
      for (const e of events) {
        if (e.sim.family !== fam || e.event !== 'registration' || !e.referral_code) continue
        const code = e.referral_code
        const s = by.get(code) ?? by.set(code, { n: 0, devices: new Set() }).get(code)!
        s.n++
        s.devices.add(e.device?.id ?? e.event_id)
      }
      return [...by.values()]
    }
    const kol = codeStats('influencer_invite')
    const farm = codeStats('invite_farm')
    expect(kol.length).toBeGreaterThan(0)
    expect(farm.length).toBeGreaterThan(0)
    for (const s of kol) expect(s.devices.size / s.n).toBeGreaterThan(0.8)
    for (const s of farm) expect(s.devices.size / s.n).toBeLessThan(0.8)
  })
})
