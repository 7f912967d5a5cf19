import { pct, type Backtest } from '../replay/backtest.js'
import type { Evaluation } from './evaluate.js'

/** ROC points (FPR, recall) at every distinct score, for the report chart. */
export function rocPoints(scores: number[], labels: number[]): [number, number][] {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!)
  const pos = labels.reduce((s, x) => s + x, 0)
  const neg = labels.length - pos
  const pts: [number, number][] = [[0, 0]]
  let tp = 0
  let fp = 0
  for (let k = 0; k < idx.length; k++) {
    if (labels[idx[k]!] === 1) tp++
    else fp++
    if (k === idx.length - 1 || scores[idx[k + 1]!] !== scores[idx[k]!]) pts.push([fp / Math.max(neg, 1), tp / Math.max(pos, 1)])
  }
  return pts
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

/** The one page shell of every HTML report: self-contained, no timestamps (same input, same bytes). */
function page(title: string, maxWidth: number, body: string, css = ''): string {
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:${maxWidth}px}${css}</style>
${body}
`
}

/**
 * A self-contained HTML page: ROC curve on a log FPR axis (0.1%–100%, where fraud operations live) and
 * bars for each attack family (share stopped) and legit group (share affected). No timestamps, so the
 * same model gives the same bytes.
 */
export function evaluationHtml(title: string, e: Evaluation, roc: [number, number][], extra = ''): string {
  const W = 460
  const H = 300
  const x = (fpr: number) => 40 + ((Math.log10(Math.max(fpr, 1e-3)) + 3) / 3) * (W - 60)
  const y = (tpr: number) => H - 30 - tpr * (H - 50)
  const path = roc.filter(([f]) => f >= 1e-3 || f === 0).map(([f, t], i) => `${i === 0 ? 'M' : 'L'}${x(f).toFixed(1)},${y(t).toFixed(1)}`).join(' ')
  const ticks = [0.001, 0.01, 0.1, 1].map((f) => `<line x1="${x(f)}" y1="20" x2="${x(f)}" y2="${H - 30}" stroke="#eee"/><text x="${x(f)}" y="${H - 12}" font-size="11" text-anchor="middle">${f * 100}%</text>`).join('')
  const bars = (rows: [string, number, number][], color: string, max: number) =>
    rows
      .map(([name, share, n], i) => `<text x="0" y="${i * 22 + 15}" font-size="12">${esc(name)} (${n})</text><rect x="190" y="${i * 22 + 4}" width="${(share / max) * 250}" height="14" fill="${color}"/><text x="${195 + (share / max) * 250}" y="${i * 22 + 15}" font-size="11">${(share * 100).toFixed(1)}%</text>`)
      .join('')
  const attacks = Object.entries(e.by_attack).map(([k, v]) => [k, v.events ? v.not_allowed / v.events : 0, v.events] as [string, number, number])
  const groups = Object.entries(e.by_legit_group).map(([k, v]) => [k, v.events ? v.not_allowed / v.events : 0, v.events] as [string, number, number])
  return page(title, 1000, `<h1>${esc(title)}</h1>
<p>ROC AUC ${e.auc.toFixed(4)}; recall ${(e.recall_at_0_5pct_fpr * 100).toFixed(1)}% at 0.5% FPR, ${(e.recall_at_1pct_fpr * 100).toFixed(1)}% at 1% FPR; served decisions stop ${(e.fraud_stopped * 100).toFixed(1)}% of fraud and touch ${(e.legit_friction * 100).toFixed(2)}% of legit events.</p>
<h2>ROC (false-positive rate on a log scale)</h2>
<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${ticks}<line x1="40" y1="${y(0)}" x2="${W - 20}" y2="${y(0)}" stroke="#999"/><line x1="40" y1="20" x2="40" y2="${y(0)}" stroke="#999"/><text x="4" y="${y(1) + 4}" font-size="11">100%</text><text x="4" y="${y(0.5) + 4}" font-size="11">50%</text><text x="44" y="14" font-size="11">recall (fraud caught)</text><text x="${W - 20}" y="${H - 1}" font-size="11" text-anchor="end">false-positive rate</text><path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/></svg>
<h2>Attack families: share not allowed</h2>
<svg width="560" height="${attacks.length * 22 + 6}" xmlns="http://www.w3.org/2000/svg">${bars(attacks, '#dc2626', 1)}</svg>
<h2>Legit groups: share affected (not allowed); target ≤ 3%</h2>
<svg width="560" height="${groups.length * 22 + 6}" xmlns="http://www.w3.org/2000/svg">${bars(groups, '#f59e0b', Math.max(0.05, ...groups.map((g) => g[1])))}</svg>${extra ? `\n${extra}` : ''}`)
}

/** A self-contained HTML report: the summary table and an inline SVG bar chart of hits per rule. */
export function backtestHtml(r: Backtest): string {
  const ids = [...new Set([...Object.keys(r.a.hits), ...Object.keys(r.b.hits)])].sort()
  const max = Math.max(1, ...ids.map((id) => Math.max(r.a.hits[id] ?? 0, r.b.hits[id] ?? 0)))
  const rowH = 22
  const bars = ids
    .map((id, i) => {
      const y = i * rowH
      const wa = ((r.a.hits[id] ?? 0) / max) * 400
      const wb = ((r.b.hits[id] ?? 0) / max) * 400
      return `<text x="0" y="${y + 14}" font-size="12">${esc(id)}</text><rect x="300" y="${y + 2}" width="${wa}" height="8" fill="#6b7280"/><rect x="300" y="${y + 11}" width="${wb}" height="8" fill="#2563eb"/><text x="${305 + Math.max(wa, wb)}" y="${y + 16}" font-size="11">${r.a.hits[id] ?? 0} → ${r.b.hits[id] ?? 0}</text>`
    })
    .join('')
  const changes = r.top.map((c) => `<tr><td>${esc(c.event_id)}</td><td>${c.event}</td><td>${c.label ?? ''}</td><td>${c.a.decision} (${c.a.score})</td><td>${c.b.decision} (${c.b.score})</td><td>${esc(c.b.reasons.join(', '))}</td></tr>`).join('')
  return page('Bouncer backtest', 1100, `<h1>Backtest: A vs B</h1>
<p>A <code>${esc(r.a.version)}</code><br>B <code>${esc(r.b.version)}</code><br>${r.a.events} events, ${r.changed} decisions changed.</p>
<table><tr><th></th><th>A</th><th>B</th></tr>
<tr><td>fraud not allowed</td><td>${pct(r.a.fraud_not_allowed, r.a.fraud)}</td><td>${pct(r.b.fraud_not_allowed, r.b.fraud)}</td></tr>
<tr><td>legit not allowed</td><td>${pct(r.a.legit_not_allowed, r.a.legit)}</td><td>${pct(r.b.legit_not_allowed, r.b.legit)}</td></tr></table>
<h2>Hits per rule <small>(grey A, blue B)</small></h2>
<svg width="1000" height="${ids.length * rowH + 10}" xmlns="http://www.w3.org/2000/svg">${bars}</svg>
<h2>Changed decisions</h2><table><tr><th>event</th><th>door</th><th>label</th><th>A</th><th>B</th><th>B reasons</th></tr>${changes}</table>`, 'table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}')
}
