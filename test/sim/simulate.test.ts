import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ScoreRequest } from '../../src/events/schemas.js'
import { sharedSignalData } from '../../src/runtime.js'
import { loadSimParams } from '../../src/sim/params.js'
import { ATTACK_FAMILIES, DEFAULT_PARAMS, simulate } from '../../src/sim/simulate.js'

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
    for (const f of [...ATTACK_FAMILIES, 'legit', 'campus_nat', 'family_phone', 'office_proxy']) expect(families, f).toContain(f)
    const tags = new Set(events.flatMap((e) => e.sim.tags))
    for (const t of ['rush', 'new_user_coupon', 'typo']) expect(tags).toContain(t)
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
