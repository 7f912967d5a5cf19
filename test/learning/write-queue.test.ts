import { describe, expect, it } from 'vitest'
import { WriteQueue } from '../../src/learning/store.js'

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms))

describe('WriteQueue', () => {
  it('writes in batches of at most `batch`, in order', async () => {
    const written: number[][] = []
    const q = new WriteQueue<number>(async (b) => void written.push(b), { maxQueue: 100, batch: 4, intervalMs: 1 })
    for (let i = 0; i < 10; i++) q.push(i)
    await q.flush()
    expect(written.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(Math.max(...written.map((b) => b.length))).toBeLessThanOrEqual(4)
    expect(q.stats).toMatchObject({ written: 10, dropped: 0, queued: 0 })
  })

  it('drops and counts what overflows the bound while the store is down, then writes the rest once it is back', async () => {
    let up = false
    const written: number[] = []
    const q = new WriteQueue<number>(
      async (b) => {
        if (!up) throw new Error('store down')
        written.push(...b)
      },
      { maxQueue: 5, batch: 2, intervalMs: 1 },
    )
    for (let i = 0; i < 8; i++) q.push(i)
    await tick(20)
    expect(q.stats.dropped).toBe(3)
    expect(q.stats.lastError).toBe('store down')
    expect(written).toEqual([])
    up = true
    await q.flush()
    expect(written.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4])
    expect(q.stats).toMatchObject({ written: 5, dropped: 3, queued: 0, lastError: undefined })
  })

  it('push never waits for the store', async () => {
    let release!: () => void
    const q = new WriteQueue<number>(() => new Promise<void>((r) => (release = r)), { maxQueue: 10, batch: 1, intervalMs: 1 })
    q.push(1)
    await tick()
    // a write is in flight and unresolved: pushing more returns at once and queues
    q.push(2)
    q.push(3)
    expect(q.stats.queued).toBe(2)
    release()
    await tick()
    release()
    await tick()
    release()
    await q.flush()
    expect(q.stats.written).toBe(3)
  })
})
