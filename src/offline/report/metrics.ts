/** ROC AUC by the rank-sum statistic, ties averaged. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!)
  let pos = 0
  let rankSum = 0
  let i = 0
  while (i < idx.length) {
    let j = i
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!] === 1) {
        pos++
        rankSum += rank
      }
    }
    i = j + 1
  }
  const neg = idx.length - pos
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

/** Recall when flagging scores strictly above the highest threshold that keeps the false-positive rate within `fpr`. */
export function recallAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, fpr: number): { recall: number; threshold: number; fpr: number } {
  const neg: number[] = []
  const pos: number[] = []
  for (let i = 0; i < scores.length; i++) (labels[i] === 1 ? pos : neg).push(scores[i]!)
  neg.sort((a, b) => b - a)
  const allowed = Math.floor(neg.length * fpr)
  const t = neg.length > allowed ? neg[allowed]! : -Infinity
  const flaggedNeg = neg.filter((s) => s > t).length
  const flaggedPos = pos.filter((s) => s > t).length
  return { recall: pos.length ? flaggedPos / pos.length : NaN, threshold: t, fpr: neg.length ? flaggedNeg / neg.length : NaN }
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]!
}
