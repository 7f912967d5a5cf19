/**
 * The benchmark's charts as plain SVG strings (no chart library: three small charts, no browser at build time):
 * latency percentiles per target on a log axis, latency over time (the rush, or a fixed-rate run) and the
 * ladder's throughput. Every axis has ticks and a grid, labels are placed so they cannot overlap (a test
 * checks the boxes), and a chart is as tall as its content.
 */

export interface Percentiles {
  p50: number
  p99: number
  p99_9: number
}
export interface TargetLatency {
  target: string
  latency_ms: Percentiles
}
export interface TimePoint {
  second: number
  requests: number
  latency_ms: { p50: number; p99: number }
  errors?: number
  shed?: number
}

const FONT = 'font-family="sans-serif"'
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const text = (x: number, y: number, s: string, o: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; fill?: string } = {}) =>
  `<text x="${r1(x)}" y="${r1(y)}" font-size="${o.size ?? 11}" ${FONT}${o.anchor && o.anchor !== 'start' ? ` text-anchor="${o.anchor}"` : ''}${o.weight ? ` font-weight="${o.weight}"` : ''}${o.fill ? ` fill="${o.fill}"` : ''}>${esc(s)}</text>`
const r1 = (v: number) => Math.round(v * 10) / 10
const svgDoc = (w: number, h: number, body: string[]) => `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${Math.ceil(h)}" viewBox="0 0 ${w} ${Math.ceil(h)}"><rect width="100%" height="100%" fill="white"/>${body.join('')}</svg>`

/** 1-2-5 ticks covering [lo, hi] on a log axis */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = []
  // past three decades the 2s and 5s crowd each other: powers of ten alone
  const steps = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5]
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of steps) {
      const v = m * 10 ** e
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(3)))
    }
  }
  return out
}

/** round ticks covering [0, hi] on a linear axis, about `n` of them */
export function linearTicks(hi: number, n = 5): number[] {
  const raw = hi / n
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: number[] = []
  for (let v = 0; v <= hi * 1.0001 + step; v += step) {
    out.push(Number(v.toPrecision(6)))
    if (v >= hi) break
  }
  return out
}

const fmt = (v: number) => (v >= 1000 ? Math.round(v).toLocaleString('en') : String(v))
/** a measured value to three significant digits or so: 4,212 ms, 24.5 ms, 2.05 ms */
const val = (v: number) => (v >= 100 ? Math.round(v).toLocaleString('en') : v >= 10 ? v.toFixed(1) : v.toFixed(2))
const COLORS = { p50: '#4c78a8', p99: '#f58518', p99_9: '#e45756' } as const
const LABELS = { p50: 'p50', p99: 'p99', p99_9: 'p99.9' } as const

function legend(x: number, y: number, items: [string, string][]): string[] {
  const out: string[] = []
  for (const [label, color] of items) {
    out.push(`<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${color}"/>`, text(x + 16, y, label))
    x += 16 + label.length * 7 + 18
  }
  return out
}

/** Percentile bars per target, log scale. */
export function latencyChart(results: TargetLatency[], title: string): string {
  const W = 760
  // the target names sit left of the bars, in bold 12 px: as wide as the longest needs
  const left = Math.max(150, Math.ceil(20 + Math.max(...results.map((r) => r.target.length)) * 12 * 0.62))
  const right = 70 // room for the longest value label past the longest bar
  const barH = 11
  const groupH = 3 * (barH + 3) + 14
  const top = 58
  const values = results.flatMap((r) => [r.latency_ms.p50, r.latency_ms.p99, r.latency_ms.p99_9]).filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 1) * 1.01))
  const x = (v: number) => left + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - left - right)
  const plotBottom = top + results.length * groupH
  const parts: string[] = [text(10, 20, title, { size: 14, weight: 'bold' }), ...legend(left, 42, (['p50', 'p99', 'p99_9'] as const).map((k) => [LABELS[k], COLORS[k]]))]
  for (const t of logTicks(lo, hi)) {
    parts.push(`<line x1="${r1(x(t))}" y1="${top - 4}" x2="${r1(x(t))}" y2="${plotBottom}" stroke="#ddd"/>`, text(x(t), plotBottom + 14, fmt(t), { anchor: 'middle', fill: '#555' }))
  }
  parts.push(text(left + (W - left - right) / 2, plotBottom + 30, 'milliseconds (log scale)', { anchor: 'middle', fill: '#555' }))
  results.forEach((r, i) => {
    const y0 = top + i * groupH
    parts.push(text(10, y0 + 2 * (barH + 3) - 2, r.target, { size: 12, weight: 'bold' }))
    ;(['p50', 'p99', 'p99_9'] as const).forEach((k, j) => {
      const v = r.latency_ms[k]
      const y = y0 + j * (barH + 3)
      parts.push(`<rect x="${left}" y="${y}" width="${r1(Math.max(1, x(v) - left))}" height="${barH}" fill="${COLORS[k]}"/>`, text(x(v) + 4, y + barH - 1, `${val(v)} ms`, { size: 10 }))
    })
  })
  return svgDoc(W, plotBottom + 40, parts)
}

/** Latency over time (p50 and p99 per second, log scale) above the requests sent per second. */
export function timelineChart(points: TimePoint[], title: string): string {
  const W = 760
  const left = 60
  const right = 20
  const top = 58
  const plotH = 190
  const rateTop = top + plotH + 40
  const rateH = 70
  const n = Math.max(1, points.length)
  const x = (s: number) => left + (s / n) * (W - left - right)
  const values = points.flatMap((p) => [p.latency_ms.p50, p.latency_ms.p99]).filter((v) => v > 0)
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values, 1)))
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values, 1) * 1.01))
  const y = (v: number) => top + plotH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH
  const parts: string[] = [text(10, 20, title, { size: 14, weight: 'bold' }), ...legend(left, 42, [['p50', COLORS.p50], ['p99', COLORS.p99], ['requests/s', '#bbb'], ['refused or failed/s', '#e45756']])]
  for (const t of logTicks(lo, hi)) parts.push(`<line x1="${left}" y1="${r1(y(t))}" x2="${W - right}" y2="${r1(y(t))}" stroke="#ddd"/>`, text(left - 6, y(t) + 4, fmt(t), { anchor: 'end', fill: '#555' }))
  parts.push(text(14, top + plotH / 2, 'ms', { fill: '#555' }))
  const line = (k: 'p50' | 'p99') => `<polyline fill="none" stroke="${COLORS[k]}" stroke-width="2" points="${points.map((p) => `${r1(x(p.second + 0.5))},${r1(y(p.latency_ms[k]))}`).join(' ')}"/>`
  parts.push(line('p50'), line('p99'))
  // the load below, on its own linear axis
  const maxRate = Math.max(...points.map((p) => p.requests), 1)
  const rt = linearTicks(maxRate, 2)
  const yr = (v: number) => rateTop + rateH - (v / rt[rt.length - 1]!) * rateH
  for (const t of rt) parts.push(`<line x1="${left}" y1="${r1(yr(t))}" x2="${W - right}" y2="${r1(yr(t))}" stroke="#eee"/>`, text(left - 6, yr(t) + 4, fmt(t), { anchor: 'end', fill: '#555' }))
  const bw = (W - left - right) / n
  for (const p of points) {
    const bad = (p.errors ?? 0) + (p.shed ?? 0)
    parts.push(`<rect x="${r1(x(p.second))}" y="${r1(yr(p.requests))}" width="${r1(Math.max(1, bw - 1))}" height="${r1(rateTop + rateH - yr(p.requests))}" fill="#bbb"/>`)
    if (bad > 0) parts.push(`<rect x="${r1(x(p.second))}" y="${r1(yr(bad))}" width="${r1(Math.max(1, bw - 1))}" height="${r1(rateTop + rateH - yr(bad))}" fill="#e45756"/>`)
  }
  // seconds along the bottom, every 5 or 10
  const every = n > 40 ? 10 : 5
  for (let s = 0; s <= n; s += every) parts.push(`<line x1="${r1(x(s))}" y1="${top}" x2="${r1(x(s))}" y2="${top + plotH}" stroke="#eee"/>`, text(x(s), rateTop + rateH + 14, String(s), { anchor: 'middle', fill: '#555' }))
  parts.push(text(left + (W - left - right) / 2, rateTop + rateH + 30, 'seconds into the run', { anchor: 'middle', fill: '#555' }))
  return svgDoc(W, rateTop + rateH + 40, parts)
}

/** Closed-loop throughput per target, linear scale. */
export function throughputChart(results: { target: string; rps: number }[], title: string): string {
  const W = 760
  const left = 220
  const right = 90
  const barH = 16
  const top = 40
  const maxV = Math.max(...results.map((r) => r.rps), 1)
  const ticks = linearTicks(maxV)
  const hi = ticks[ticks.length - 1]!
  const x = (v: number) => left + (v / hi) * (W - left - right)
  const plotBottom = top + results.length * (barH + 8)
  const parts: string[] = [text(10, 20, title, { size: 14, weight: 'bold' })]
  for (const t of ticks) parts.push(`<line x1="${r1(x(t))}" y1="${top - 4}" x2="${r1(x(t))}" y2="${plotBottom}" stroke="#ddd"/>`, text(x(t), plotBottom + 14, fmt(t), { anchor: 'middle', fill: '#555' }))
  parts.push(text(left + (W - left - right) / 2, plotBottom + 30, 'requests per second (closed loop)', { anchor: 'middle', fill: '#555' }))
  results.forEach((r, i) => {
    const y = top + i * (barH + 8)
    parts.push(text(left - 8, y + barH - 3, r.target, { anchor: 'end', size: 12 }), `<rect x="${left}" y="${y}" width="${r1(Math.max(1, x(r.rps) - left))}" height="${barH}" fill="#4c78a8"/>`, text(x(r.rps) + 4, y + barH - 3, `${fmt(r.rps)}/s`, { size: 11 }))
  })
  return svgDoc(W, plotBottom + 40, parts)
}

/** A markdown table (the bench's own) as an HTML table. */
export function markdownTableHtml(md: string): string {
  const rows = md.split('\n').filter((l) => l.startsWith('|') && !/^\|[-| ]+\|$/.test(l))
  const cells = (l: string) => l.slice(1, -1).split('|').map((c) => esc(c.trim()).replace(/`([^`]+)`/g, '<code>$1</code>'))
  const [head, ...body] = rows
  if (!head) return ''
  return `<table><thead><tr>${cells(head).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${body.map((l) => `<tr>${cells(l).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
}

/** The report page: the machine line, the table, the rush line and the charts. */
export function reportHtml(o: { title: string; markdown: string; charts: string[] }): string {
  const paras = o.markdown.split('\n\n').filter((p) => !p.startsWith('|'))
  const table = o.markdown.split('\n\n').find((p) => p.startsWith('|')) ?? ''
  const style = 'body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;font-size:13px;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}td:nth-child(n+2){font-variant-numeric:tabular-nums}code{background:#f4f4f4;padding:0 3px}figure{margin:1.5em 0}'
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>${esc(o.title)}</title><style>${style}</style><body><h1>${esc(o.title)}</h1>${paras.map((p) => `<p>${esc(p).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`).join('')}${markdownTableHtml(table)}${o.charts.map((c) => `<figure>${c}</figure>`).join('')}</body></html>\n`
}

export interface ServiceReport {
  rate: number
  machine: { cpus: number; cpu: string }
  results: { target: string; throughput: { rps: number }; fixed_rate: { latency_ms: Percentiles; timeline?: (TimePoint & { shed?: number })[] } }[]
  rush: { timeline?: TimePoint[]; peak?: { rate: number } } | null
}

/** The charts of one bench:service run, by file name: docs/performance*.svg, and the HTML report with them all. */
export function serviceCharts(d: ServiceReport, markdown: string): Record<string, string> {
  const m = `${d.machine.cpus}× ${d.machine.cpu}`
  const out: Record<string, string> = {
    'docs/performance.svg': latencyChart(d.results.map((r) => ({ target: r.target, latency_ms: r.fixed_rate.latency_ms })), `Latency at a fixed ${d.rate.toLocaleString('en')} req/s, ${m}`),
  }
  if (d.results.length > 1) out['docs/performance-ladder.svg'] = throughputChart(d.results.map((r) => ({ target: r.target, rps: r.throughput.rps })), `Throughput, closed loop, ${m}`)
  const bouncer = d.results.find((r) => r.target.startsWith('bouncer'))
  if (d.rush?.timeline?.length) out['docs/performance-rush.svg'] = timelineChart(d.rush.timeline, `The rush (quiet, ramp to ${d.rush.peak?.rate.toLocaleString('en') ?? 'peak'}/s, hold): latency per second, ${m}`)
  else if (bouncer?.fixed_rate.timeline?.length) out['docs/performance-rush.svg'] = timelineChart(bouncer.fixed_rate.timeline, `${bouncer.target} at a fixed ${d.rate.toLocaleString('en')} req/s: latency per second, ${m}`)
  out['bench/results/service.html'] = reportHtml({ title: 'Bouncer service benchmark', markdown, charts: Object.entries(out).map(([, svg]) => svg) })
  return out
}
