import type { Redis } from 'ioredis'

/** One command's line of INFO commandstats. */
export interface CommandStat {
  cmd: string
  calls: number
  usec: number
}

/** the admin connection's own commands, left out of what the target cost */
const ADMIN = new Set(['config', 'info', 'flushall', 'ping', 'client', 'hello', 'command'])

/** INFO commandstats, per command. A script's inner calls are listed too, and their time is also inside its EVALSHA. */
export async function commandStats(admin: Redis): Promise<CommandStat[]> {
  return (await admin.info('commandstats'))
    .split('\n')
    .map((l) => /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !ADMIN.has(m[1]!.split('|')[0]!))
    .map((m) => ({ cmd: m[1]!, calls: Number(m[2]), usec: Number(m[3]) }))
}

/**
 * INFO commandstats of `times` EVALs of `body`, run once uncounted first (its compilation): the EVAL's own
 * µs and the commands it called, each by name.
 */
export async function evalStats(r: Redis, body: string, args: string[] = [], times = 1): Promise<Map<string, number>> {
  await r.eval(body, 0, ...args)
  await r.config('RESETSTAT')
  for (let k = 0; k < times; k++) await r.eval(body, 0, ...args)
  return new Map((await commandStats(r)).map((s) => [s.cmd, s.usec]))
}

/** Per event, most called first: `{ evalsha: { calls: 1, us: 76.1 }, ... }` */
export function perEvent(stats: CommandStat[], events: number): Record<string, { calls: number; us: number }> {
  const rows = [...stats].sort((a, b) => b.calls - a.calls)
  return Object.fromEntries(rows.map((r) => [r.cmd, { calls: Math.round((r.calls / events) * 100) / 100, us: Math.round((r.usec / events) * 10) / 10 }]))
}

/** `evalsha 1 (76.1 µs), set 1.95 (2.4 µs), ...` */
export function formatPerEvent(p: Record<string, { calls: number; us: number }>): string {
  return Object.entries(p)
    .filter(([, v]) => v.calls >= 0.01)
    .map(([k, v]) => `${k} ${v.calls} (${v.us} µs)`)
    .join(', ')
}
