/**
 * What Bouncer remembers of an account's registration, under the account's hash tag for 90 days: when,
 * the score, decision and reason codes, and the device and network it came from (hashed), which link a
 * later claim to the farm that made the account.
 */
export interface AccountMemo {
  t: number
  s?: number
  d?: string
  r?: string[]
  dv?: string
  px?: string
}

export const ACCOUNT_TTL_MS = 90 * 86_400_000

/** An account's stored memory; a missing or unreadable one is no memory. */
export function parseMemo(raw: string | null | undefined): AccountMemo | null {
  if (!raw) return null
  try {
    return JSON.parse(raw) as AccountMemo
  } catch {
    return null
  }
}
