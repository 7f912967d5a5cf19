import { Command } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { encodeCommand, type RespArg } from '../../src/util/resp.js'

/** What ioredis itself sends for the same command, as bytes. */
const ioredisBytes = (name: string, args: RespArg[]) => {
  const w = new Command(name, args).toWritable({})
  return typeof w === 'string' ? Buffer.from(w, 'utf8') : w
}

const lcg = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)

describe('encodeCommand', () => {
  it('writes the bytes ioredis would write for ASCII arguments, numbers and empty strings', () => {
    const parts: RespArg[][] = [['0123456789abcdef0123456789abcdef01234567', 3], ['v4:{ip:9f}:c', 'v4:{dev:1a}:d', 't:idem:x'], [1_795_000_000_000, 2, '1', '', 0, '0'], ['c', '1', 2, 60, 1, '3660000', '29916666', '498611']]
    expect(encodeCommand('evalsha', parts).equals(ioredisBytes('evalsha', parts.flat()))).toBe(true)
  })

  it('measures non-ASCII arguments in UTF-8 bytes, as ioredis does', () => {
    const rand = lcg(7)
    const alphabet = ['a', '7', ':', 'é', 'ß', '中', '😀', '\u0000', ' ', '\r\n']
    for (let n = 0; n < 200; n++) {
      const parts: RespArg[][] = []
      for (let p = 0; p < 1 + Math.floor(rand() * 4); p++) {
        const part: RespArg[] = []
        for (let i = 0; i < Math.floor(rand() * 6); i++) {
          const r = rand()
          if (r < 0.1) part.push(Math.floor(rand() * 1e9))
          else if (r < 0.15) part.push(-Math.floor(rand() * 1e6))
          else if (r < 0.2) part.push(rand() * 1e3)
          else part.push(Array.from({ length: Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''))
        }
        parts.push(part)
      }
      expect(encodeCommand('set', parts).equals(ioredisBytes('set', parts.flat())), JSON.stringify(parts)).toBe(true)
    }
  })

  it('returns bytes of its own: a later command does not overwrite an earlier one still waiting to be sent', () => {
    const first = encodeCommand('set', [['a', '1']])
    const copy = Buffer.from(first)
    encodeCommand('set', [['b', '2']])
    expect(first.equals(copy)).toBe(true)
  })
})
