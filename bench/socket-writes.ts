import type { Redis } from 'ioredis'

/**
 * Writes to a Redis client's socket while `fn` runs: each write is one request flight, so for one event
 * scored alone it is the number of round trips. Used by bench:velocity and the store tests.
 */
export async function writesDuring(client: Redis, fn: () => Promise<unknown>): Promise<number> {
  const stream = client.stream
  let n = 0
  const write = stream.write.bind(stream)
  stream.write = ((...args: Parameters<typeof write>) => {
    n++
    return write(...args)
  }) as typeof stream.write
  try {
    await fn()
  } finally {
    stream.write = write
  }
  return n
}
