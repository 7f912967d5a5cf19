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

/**
 * A self-contained HTML page: ROC curve on a log FPR axis (0.1%–100%, where fraud operations live) and
 * bars for each attack family (share stopped) and legit group (share affected). No timestamps, so the
 * same model gives the same bytes.
 */
export function evaluationHtml(title: string, e: Evaluation, roc: [number, number][]): string {
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
  return `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1000px}</style>
<h1>${esc(title)}</h1>
<p>ROC AUC ${e.auc.toFixed(4)}; recall ${(e.recall_at_0_5pct_fpr * 100).toFixed(1)}% at 0.5% FPR, ${(e.recall_at_1pct_fpr * 100).toFixed(1)}% at 1% FPR; served decisions stop ${(e.fraud_stopped * 100).toFixed(1)}% of fraud and touch ${(e.legit_friction * 100).toFixed(2)}% of legit events.</p>
<h2>ROC (false-positive rate on a log scale)</h2>
<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${ticks}<line x1="40" y1="${y(0)}" x2="${W - 20}" y2="${y(0)}" stroke="#999"/><line x1="40" y1="20" x2="40" y2="${y(0)}" stroke="#999"/><text x="4" y="${y(1) + 4}" font-size="11">100%</text><text x="4" y="${y(0.5) + 4}" font-size="11">50%</text><text x="44" y="14" font-size="11">recall (fraud caught)</text><text x="${W - 20}" y="${H - 1}" font-size="11" text-anchor="end">false-positive rate</text><path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/></svg>
<h2>Attack families: share not allowed</h2>
<svg width="560" height="${attacks.length * 22 + 6}" xmlns="http://www.w3.org/2000/svg">${bars(attacks, '#dc2626', 1)}</svg>
<h2>Legit groups: share affected (not allowed); target ≤ 3%</h2>
<svg width="560" height="${groups.length * 22 + 6}" xmlns="http://www.w3.org/2000/svg">${bars(groups, '#f59e0b', Math.max(0.05, ...groups.map((g) => g[1])))}</svg>
`
}
