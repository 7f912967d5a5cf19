import { readFileSync } from 'node:fs'
import { z } from 'zod'

const count = z.number().int().min(0)
export const SimParamsSchema = z.strictObject({
  seed: z.number().int(),
  start: z.iso.datetime({ offset: true }),
  days: z.number().int().min(1).max(60),
  scale: z.number().positive().max(100).describe('multiplies every population'),
  legitUsers: count,
  newUsersPerDay: count,
  loginsPerUserPerDay: z.number().min(0),
  rushClaimShare: z.number().min(0).max(1),
  rushAtHour: z.number().min(0),
  rushMinutes: z.number().positive(),
  campusStudents: count,
  families: count,
  officeWorkers: count,
  farms: count,
  stuffingCampaigns: count,
  rings: count,
  lowAndSlow: count,
  inviteFarms: count,
  influencers: count,
  friendReferralShare: z.number().min(0).max(1).describe('share of ordinary sign-ups that carry a friend\'s referral code'),
})

export const DEFAULT_CONFIG = new URL('../../../sim/default.json', import.meta.url)

/** Simulator parameters from a JSON file; a partial file overrides sim/default.json. */
export function loadSimParams(file?: string | URL): z.infer<typeof SimParamsSchema> {
  const base = JSON.parse(readFileSync(DEFAULT_CONFIG, 'utf8')) as Record<string, unknown>
  const over = file === undefined ? {} : (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
  const parsed = SimParamsSchema.safeParse({ ...base, ...over })
  if (!parsed.success) {
    const i = parsed.error.issues[0]!
    throw new Error(`${String(file ?? DEFAULT_CONFIG)}: ${i.path.join('.')}: ${i.message}`)
  }
  return parsed.data
}
