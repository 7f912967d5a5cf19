import { describe, expect, it } from 'vitest'
import { latencyChart, linearTicks, logTicks, markdownTableHtml, throughputChart, timelineChart, type TimePoint } from '../../bench/charts.js'

interface Box {
  s: string
  x0: number
  x1: number
  y0: number
  y1: number
}

/** Every label's box, from its position, size and anchor (a sans-serif glyph is at most ~0.62 em wide on average). */
function labels(svg: string): Box[] {
  return [...svg.matchAll(/<text x="([\d.-]+)" y="([\d.-]+)" font-size="(\d+)"([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const x = Number(m[1])
    const y = Number(m[2])
    const size = Number(m[3])
    const w = m[5]!.length * size * 0.62
    const anchor = /text-anchor="(\w+)"/.exec(m[4]!)?.[1] ?? 'start'
    const x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x
    return { s: m[5]!, x0, x1: x0 + w, y0: y - size * 0.8, y1: y + size * 0.2 }
  })
}

const overlaps = (svg: string) => {
  const b = labels(svg)
  const out: string[] = []
  for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++) {
    const p = b[i]!
    const q = b[j]!
    if (p.x0 < q.x1 && q.x0 < p.x1 && p.y0 < q.y1 && q.y0 < p.y1) out.push(`"${p.s}" and "${q.s}"`)
  }
  return out
}
/** labels that cross a bar */
const onBars = (svg: string) => {
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="#(?!fff)/g)].map((m) => ({ x0: Number(m[1]), y0: Number(m[2]), x1: Number(m[1]) + Number(m[3]), y1: Number(m[2]) + Number(m[4]) }))
  return labels(svg).filter((t) => bars.some((b) => t.x0 < b.x1 && b.x0 < t.x1 && t.y0 < b.y1 && b.y0 < t.y1)).map((t) => t.s)
}
const size = (svg: string) => {
  const m = /width="(\d+)" height="(\d+)"/.exec(svg)!
  return { w: Number(m[1]), h: Number(m[2]) }
}

// shaped like a --ladder run: a fast echo, a naive scorer seconds slow, and the rungs between
const ladder = [
  { target: 'echo', latency_ms: { p50: 1.092, p99: 2.169, p99_9: 4.248 }, rps: 13961 },
  { target: 'naive', latency_ms: { p50: 3980.258, p99: 8769.056, p99_9: 8842.747 }, rps: 1231 },
  { target: 'naive+velocity', latency_ms: { p50: 7.731, p99: 92.116, p99_9: 502.316 }, rps: 2330 },
  { target: 'naive+velocity+model+rules', latency_ms: { p50: 3.906, p99: 57.173, p99_9: 185.837 }, rps: 3674 },
  { target: 'bouncer', latency_ms: { p50: 2.049, p99: 16.142, p99_9: 22.51 }, rps: 2840 },
  { target: 'bouncer-2-workers', latency_ms: { p50: 2.392, p99: 180.61, p99_9: 1080.877 }, rps: 2921 },
]
// shaped like the rush: 10 s quiet, a 10 s ramp, a 30 s hold with one bad second
const rush: TimePoint[] = Array.from({ length: 50 }, (_, s) => ({ second: s, requests: s < 10 ? 200 : s < 20 ? 200 + (s - 9) * 280 : 3000, errors: s === 30 ? 40 : 0, latency_ms: { p50: 2 + (s % 3), p99: s === 30 ? 900 : 15 + (s % 7) } }))

describe('bench charts', () => {
  it('label the log axes with round ticks, powers of ten alone over a wide range', () => {
    expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100])
    expect(logTicks(1, 10_000)).toEqual([1, 10, 100, 1000, 10_000])
    expect(linearTicks(13961)).toEqual([0, 5000, 10_000, 15_000])
    const svg = latencyChart(ladder, 'Latency')
    for (const t of ['1', '10', '100', '1,000', '10,000']) expect(svg).toContain(`>${t}</text>`)
  })

  it('place no label over another, in every chart', () => {
    // the check itself sees two labels on one spot
    expect(overlaps('<text x="10" y="10" font-size="11">p99</text><text x="12" y="12" font-size="11">p99.9</text>')).toHaveLength(1)
    expect(overlaps(latencyChart(ladder, 'Latency at a fixed 2,000 req/s, 2× AMD EPYC'))).toEqual([])
    expect(overlaps(throughputChart(ladder, 'Throughput, closed loop'))).toEqual([])
    expect(overlaps(timelineChart(rush, 'The rush: latency per second'))).toEqual([])
    // nor on a bar: a long target name once ran into its bars
    expect(onBars(latencyChart(ladder, 'Latency'))).toEqual([])
    expect(onBars(throughputChart(ladder, 'Throughput'))).toEqual([])
  })

  it('are as tall as their content, and keep every label inside the picture', () => {
    for (const svg of [latencyChart(ladder, 't'), latencyChart(ladder.slice(0, 1), 't'), throughputChart(ladder, 't'), timelineChart(rush, 't')]) {
      const { w, h } = size(svg)
      const b = labels(svg)
      const bottom = Math.max(...b.map((x) => x.y1))
      expect(h - bottom).toBeLessThan(30)
      expect(Math.min(...b.map((x) => x.x0))).toBeGreaterThanOrEqual(0)
      expect(Math.max(...b.map((x) => x.x1))).toBeLessThanOrEqual(w)
    }
  })

  it('draw the bad second of the rush where it happened', () => {
    const svg = timelineChart(rush, 't')
    const p99 = /<polyline fill="none" stroke="#f58518"[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number])
    // the highest point on screen (smallest y) is second 30
    const top = p99.reduce((best, p, i) => (p[1] < p99[best]![1] ? i : best), 0)
    expect(top).toBe(30)
  })

  it('turn the markdown table into an HTML table', () => {
    const html = markdownTableHtml('| a | b |\n|---|---|\n| `x` | 1 < 2 |')
    expect(html).toBe('<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td><code>x</code></td><td>1 &lt; 2</td></tr></tbody></table>')
  })
})
