import { Redis } from 'ioredis'
import { startRedis } from '../test/setup/redis-server.js'
import { evalStats } from './commandstats.js'
import { machine, writeResult } from './machine.js'

/**
 * What the pieces of a counters.lua call cost inside Redis, so a change to the key layout is chosen by what it
 * saves rather than by how many redis.call it removes: each probe runs N times in one EVAL against an idle
 * redis-server, and the EVAL's own µs (INFO commandstats) over N is the price of one. A probe's price is the
 * difference from its baseline (an empty loop; an EVAL with no arguments).
 *   npm run bench:lua-primitives [-- N]
 */
const N = Number(process.argv[2] ?? 20000)
const redis = await startRedis()
const r = new Redis(redis.url)
await r.hset('h8', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '6', 'g', '7', 'h', '8')

/** µs of one EVAL of `body` */
const evalUs = async (body: string, args: string[] = [], times = 1) => (await evalStats(r, body, args, times)).get('eval')! / times
const loop = (inner: string) => `local t = {} for i = 1, ${N} do ${inner} end return 1`
const per = async (inner: string, base = 'local x = i') => ((await evalUs(loop(inner))) - (await evalUs(loop(base)))) / N

const probes: Record<string, number> = {
  'redis.call (PING), bridge and command': await per("redis.call('PING')"),
  'HSET one field, string value': await per("redis.call('HSET', 'k', 'f', '123')"),
  'HSET one field, number value (formatted)': await per("redis.call('HSET', 'k', 'f', i)"),
  'HINCRBY one field': await per("redis.call('HINCRBY', 'k2', 'f', '1')"),
  'HMGET 1 field': await per("redis.call('HMGET', 'h8', 'a')"),
  'HMGET 8 fields': await per("redis.call('HMGET', 'h8', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h')"),
  'HMGET 8 absent fields': await per("redis.call('HMGET', 'h8', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x')"),
  'PEXPIRE': await per("redis.call('PEXPIRE', 'h8', '100000000')"),
  'string concat': await per("t[i] = ARGV and ('abc' .. i % 7) or 0", "t[i] = 0"),
  'table alloc': await per('t[i] = {}', 't[i] = 0'),
  'tonumber of a string': await per("t[i] = tonumber('12345')", 't[i] = 12345'),
}
// Each argument of the call becomes a Lua string in ARGV before the script runs.
const args = Array.from({ length: 200 }, (_, i) => `arg${i}`)
const empty = await evalUs('return 1', [], 200)
const withArgs = await evalUs('return 1', args, 200)
probes['ARGV, per argument'] = (withArgs - empty) / args.length

const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}, Redis ${(await r.info('server')).match(/redis_version:(\S+)/)![1]}; each probe ${N} times in one EVAL`)
for (const [k, v] of Object.entries(probes)) console.log(`  ${k.padEnd(44)} ${v.toFixed(3)} µs`)
console.log(`written to ${writeResult('lua-primitives', { n: N, us: probes })}`)
r.disconnect()
await redis.stop()
