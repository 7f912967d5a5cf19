import type { Redis } from 'ioredis'

type Flush = (...args: unknown[]) => unknown

/**
 * Writes that leave a Redis client's socket while `fn` runs (one per `_write`/`_writev`: what the kernel
 * is handed, however many `write()` calls a corked tick gathered). For one event scored alone that is
 * its number of round trips. Used by bench:velocity and the store tests.
 */
export async function writesDuring(client: Redis, fn: () => Promise<unknown>): Promise<number> {
  const stream = client.stream as unknown as Record<'_write' | '_writev', Flush>
  let n = 0
  const saved = { _write: stream._write, _writev: stream._writev }
  for (const k of ['_write', '_writev'] as const) {
    const orig = saved[k]
    stream[k] = function (this: unknown, ...args: unknown[]) {
      n++
      return orig.apply(this, args)
    }
  }
  try {
    await fn()
  } finally {
    stream._write = saved._write
    stream._writev = saved._writev
  }
  return n
}
