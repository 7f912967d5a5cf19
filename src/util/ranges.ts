/**
 * Index of the sorted, non-overlapping range [starts[i], ends[i]] that contains x, or -1. One bisection;
 * shared by the IP-to-ASN table and the IP lists.
 */
export function findRange<T extends number | bigint | string>(starts: ArrayLike<T>, ends: ArrayLike<T>, x: T): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (starts[mid]! <= x) lo = mid + 1
    else hi = mid - 1
  }
  return hi >= 0 && x <= ends[hi]! ? hi : -1
}
