import type { ScoreResponse } from '../../events/schemas.js'
import { vectorize, type Model } from '../../model/model.js'
import type { Reliability } from '../train/calibrate.js'

type Row = { event: { label: 'fraud' | 'legit' }; response: ScoreResponse }

/** The model's raw probability for each row, from the features the pipeline computed (`explain: true` rows). */
export async function rawProbabilities(model: Model, rows: Row[]): Promise<Float32Array> {
  const f = model.card.features.length
  const out = new Float32Array(rows.length)
  for (let i = 0; i < rows.length; i += 2048) {
    const chunk = rows.slice(i, i + 2048)
    const x = new Float32Array(chunk.length * f)
    chunk.forEach((r, j) => vectorize(model.card.features, r.response.features as Record<string, number | boolean | string>, x.subarray(j * f, (j + 1) * f)))
    out.set(await model.predictBatch(x, chunk.length), i)
  }
  return out
}

/** Global importance: the mean absolute contribution to the logit over (up to) `sample` rows, evenly spaced. */
export function importance(model: Model, rows: Row[], sample = 4000): { feature: string; mean_abs: number }[] {
  const f = model.card.features
  const sum = new Float64Array(f.length)
  const step = Math.max(1, Math.floor(rows.length / sample))
  let n = 0
  for (let i = 0; i < rows.length; i += step) {
    const c = model.contributions(vectorize(f, rows[i]!.response.features as Record<string, number | boolean | string>))
    if (!c) return []
    for (let j = 0; j < f.length; j++) sum[j]! += Math.abs(c[j]!)
    n++
  }
  return f.map((feature, j) => ({ feature, mean_abs: Math.round((sum[j]! / Math.max(n, 1)) * 1e4) / 1e4 })).sort((a, b) => b.mean_abs - a.mean_abs)
}

/** Served scores (0–100) in 20 bins of 5, per label. */
export function scoreHistogram(rows: Row[]): { fraud: number[]; legit: number[] } {
  const h = { fraud: new Array<number>(20).fill(0), legit: new Array<number>(20).fill(0) }
  for (const r of rows) h[r.event.label][Math.min(19, Math.floor(r.response.score / 5))]!++
  return h
}

/**
 * Precision and recall at every distinct score, with fraud weighted to `baseRate`: precision depends on how
 * common fraud is, and the simulator's 29% would flatter it.
 */
export function prPoints(scores: ArrayLike<number>, labels: ArrayLike<number>, baseRate: number): [number, number][] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  let pos = 0
  for (let i = 0; i < labels.length; i++) pos += labels[i]!
  const neg = labels.length - pos
  const wF = (baseRate / (1 - baseRate)) * (neg / Math.max(pos, 1))
  const pts: [number, number][] = []
  let tp = 0
  let fp = 0
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]!]) tp++
    else fp++
    if (k === idx.length - 1 || scores[idx[k + 1]!] !== scores[idx[k]!]) pts.push([tp / Math.max(pos, 1), (tp * wF) / Math.max(tp * wF + fp, 1e-12)])
  }
  return pts
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

export interface ModelReport {
  importance: { feature: string; mean_abs: number }[]
  histogram: { fraud: number[]; legit: number[] }
  pr: [number, number][]
  baseRate: number
  reliability?: { before: Reliability; after: Reliability; checkedOn: string } | undefined
}

/** The data scientist's sections of report.html: importance, score histograms, PR at the base rate, reliability. */
export function modelReportHtml(r: ModelReport): string {
  const out: string[] = []
  const top = r.importance.slice(0, 20)
  if (top.length > 0) {
    const max = Math.max(...top.map((t) => t.mean_abs), 1e-9)
    out.push(`<h2>Global feature importance (mean |contribution to the logit|, held-out)</h2>
<svg width="620" height="${top.length * 20 + 6}" xmlns="http://www.w3.org/2000/svg">${top.map((t, i) => `<text x="0" y="${i * 20 + 14}" font-size="12">${esc(t.feature)}</text><rect x="250" y="${i * 20 + 3}" width="${(t.mean_abs / max) * 300}" height="13" fill="#7c3aed"/><text x="${255 + (t.mean_abs / max) * 300}" y="${i * 20 + 14}" font-size="11">${t.mean_abs.toFixed(3)}</text>`).join('')}</svg>`)
  }
  const H = 160
  const bar = (counts: number[], color: string) => {
    const total = Math.max(1, counts.reduce((s, c) => s + c, 0))
    // log scale: most events of either label sit in one bin
    const y = (c: number) => (c <= 0 ? 0 : (Math.log10(1 + (c / total) * 1e4) / 4) * (H - 30))
    return counts.map((c, i) => `<rect x="${40 + i * 22}" y="${H - 20 - y(c)}" width="18" height="${y(c)}" fill="${color}"><title>${i * 5}–${i * 5 + 5}: ${c}</title></rect>`).join('') + `<text x="40" y="${H - 4}" font-size="11">0</text><text x="${40 + 19 * 22}" y="${H - 4}" font-size="11">95–100</text>`
  }
  out.push(`<h2>Served score per label (share of the label, log scale)</h2>
<p>legit</p><svg width="500" height="${H}" xmlns="http://www.w3.org/2000/svg">${bar(r.histogram.legit, '#16a34a')}</svg>
<p>fraud</p><svg width="500" height="${H}" xmlns="http://www.w3.org/2000/svg">${bar(r.histogram.fraud, '#dc2626')}</svg>`)
  const W = 460
  const PH = 300
  const px = (v: number) => 40 + v * (W - 60)
  const py = (v: number) => PH - 30 - v * (PH - 50)
  const axes = `<line x1="40" y1="${py(0)}" x2="${W - 20}" y2="${py(0)}" stroke="#999"/><line x1="40" y1="20" x2="40" y2="${py(0)}" stroke="#999"/><text x="4" y="${py(1) + 4}" font-size="11">100%</text><text x="4" y="${py(0.5) + 4}" font-size="11">50%</text>`
  const prPath = r.pr.map(([rec, prec], i) => `${i === 0 ? 'M' : 'L'}${px(rec).toFixed(1)},${py(prec).toFixed(1)}`).join(' ')
  out.push(`<h2>Precision–recall at a ${(r.baseRate * 100).toFixed(1)}% fraud rate (fraud reweighted from the simulator's share)</h2>
<svg width="${W}" height="${PH}" xmlns="http://www.w3.org/2000/svg">${axes}<text x="44" y="14" font-size="11">precision</text><text x="${W - 20}" y="${PH - 1}" font-size="11" text-anchor="end">recall</text><path d="${prPath}" fill="none" stroke="#2563eb" stroke-width="2"/></svg>`)
  if (r.reliability) {
    // log-log: the rates that matter are 0.1–10%
    const lx = (v: number) => 40 + ((Math.log10(Math.max(v, 1e-4)) + 4) / 4) * (W - 60)
    const ly = (v: number) => PH - 30 - ((Math.log10(Math.max(v, 1e-4)) + 4) / 4) * (PH - 50)
    const dots = (rel: Reliability, color: string) => rel.bins.map((b) => `<circle cx="${lx(b.predicted).toFixed(1)}" cy="${ly(b.observed).toFixed(1)}" r="${Math.min(9, 2 + Math.log10(1 + b.weight))}" fill="${color}" fill-opacity="0.7"><title>predicted ${(b.predicted * 100).toFixed(3)}%, observed ${(b.observed * 100).toFixed(3)}% (${b.weight.toFixed(0)} events)</title></circle>`).join('')
    const ticks = [1e-4, 1e-3, 1e-2, 1e-1, 1].map((v) => `<text x="${lx(v)}" y="${PH - 12}" font-size="11" text-anchor="middle">${v * 100}%</text><text x="4" y="${ly(v) + 4}" font-size="11">${v * 100}%</text>`).join('')
    out.push(`<h2>Reliability at a ${(r.reliability.after.base_rate * 100).toFixed(1)}% fraud rate (${esc(r.reliability.checkedOn)})</h2>
<p>Grey: the raw model output (ECE ${r.reliability.before.ece.toFixed(4)}); blue: the calibrated probability (ECE ${r.reliability.after.ece.toFixed(4)}). On the diagonal, a predicted 1% is fraud 1% of the time.</p>
<svg width="${W}" height="${PH}" xmlns="http://www.w3.org/2000/svg">${ticks}<line x1="${lx(1e-4)}" y1="${ly(1e-4)}" x2="${lx(1)}" y2="${ly(1)}" stroke="#bbb" stroke-dasharray="4"/>${dots(r.reliability.before, '#6b7280')}${dots(r.reliability.after, '#2563eb')}<text x="44" y="14" font-size="11">observed fraud rate</text><text x="${W - 20}" y="${PH - 1}" font-size="11" text-anchor="end">predicted</text></svg>`)
  }
  return out.join('\n')
}
