import { describe, expect, it } from 'vitest'
import { progress } from '../../src/util/progress.js'

const terminal = (isTTY: boolean) => {
  const out: string[] = []
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } }
}

describe('progress', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const { out, stream } = terminal(false)
    const p = progress('scoring', 1000, { stream })
    for (let i = 0; i < 1000; i++) p.tick()
    p.done()
    expect(out).toEqual([])
  })

  it('rewrites one line in place at most four times a second, and ends it', () => {
    const { out, stream } = terminal(true)
    let now = 0
    const p = progress('scoring', 1280, { stream, clock: () => now })
    for (let i = 0; i < 1280; i++) {
      now = i // 1 ms an event: 1.28 s in all
      p.tick()
    }
    p.done()
    // shown at 63 ms (the first 64th tick), then every 256 ms or so, and once at the end
    expect(out.length).toBeGreaterThanOrEqual(5)
    expect(out.length).toBeLessThanOrEqual(8)
    expect(out.every((s) => s.startsWith('\r') || s === '\n')).toBe(true)
    expect(out.at(-2)).toMatch(/^\rscoring: 1,280\/1,280 \(100%\), 1\.3 s/)
    expect(out.at(-1)).toBe('\n')
  })
})

describe('progress per slow step', () => {
  it('reads the clock on every tick when told to', () => {
    const { out, stream } = terminal(true)
    let now = 0
    const p = progress('fitting trees', 10, { stream, clock: () => now, every: 1 })
    for (let i = 0; i < 10; i++) {
      now += 300
      p.tick()
    }
    expect(out).toHaveLength(10)
    expect(out[0]).toBe('\rfitting trees: 1/10 (10%), 0.3 s')
  })
})
