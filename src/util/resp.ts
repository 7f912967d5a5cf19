import { createHash } from 'node:crypto'
import { Command, type Redis } from 'ioredis'

export type RespArg = string | number

/**
 * One Redis command as its RESP bytes. The velocity call has ~120 arguments; ioredis spreads them into a new
 * array, flattens it, measures each one's UTF-8 length and concatenates ~360 pieces that the socket then
 * encodes as UTF-8: ~28 µs per event. Built as one string and encoded once it is ~9 µs (bench/README.md).
 * The arguments on this path are ASCII (hex hashes, numbers, counter names), so a string's length is its byte
 * length; when one is not, the whole command is measured again argument by argument, so any input encodes
 * as ioredis would encode it.
 */
export function encodeCommand(name: string, parts: readonly (readonly RespArg[])[]): Buffer {
  const s = resp(name, parts, stringLength)
  const bytes = Buffer.from(s, 'utf8')
  return bytes.length === s.length ? bytes : Buffer.from(resp(name, parts, Buffer.byteLength), 'utf8')
}

const stringLength = (a: string) => a.length

function resp(name: string, parts: readonly (readonly RespArg[])[], length: (a: string) => number): string {
  let count = 1
  for (const p of parts) count += p.length
  let s = `*${count}\r\n$${length(name)}\r\n${name}\r\n`
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const a = String(p[i])
      s += `$${length(a)}\r\n${a}\r\n`
    }
  }
  return s
}

/** A command whose bytes are already encoded: ioredis sends them as they are and parses the reply as usual (bulk strings as utf8 strings, as its own commands do). */
export class EncodedCommand extends Command {
  constructor(name: string, private readonly bytes: Buffer) {
    super(name, [], { replyEncoding: 'utf8' })
  }

  override toWritable(): Buffer {
    return this.bytes
  }
}

/** A script's SHA1, as EVALSHA names it. */
export const scriptSha = (lua: string) => createHash('sha1').update(lua).digest('hex')

/**
 * EVALSHA `sha` with its arguments encoded in one pass. On NOSCRIPT (a new redis-server, or its script cache
 * flushed: nothing ran) `fallback` runs instead, the command ioredis defined for the script, which sends the
 * script itself (EVAL) and so caches it for the next call.
 */
export function evalshaEncoded(client: Redis, sha: string, parts: readonly (readonly RespArg[])[], fallback: () => Promise<unknown>): Promise<unknown> {
  const cmd = new EncodedCommand('evalsha', encodeCommand('evalsha', [[sha], ...parts]))
  void client.sendCommand(cmd)
  return cmd.promise.catch((err: Error) => {
    if (!err.message.includes('NOSCRIPT')) throw err
    return fallback()
  })
}
