import type { Document, LineCounter } from 'yaml'

/** Line and column of the node at `path`, or of its nearest ancestor that has a position. */
export function position(doc: Document, lc: LineCounter, path: (string | number)[]): { line: number; column: number } {
  for (let p = path; p.length >= 0; p = p.slice(0, -1)) {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined
    if (node && typeof node === 'object' && node.range) {
      const pos = lc.linePos(node.range[0])
      return { line: pos.line, column: pos.col }
    }
    if (p.length === 0) break
  }
  return { line: 1, column: 1 }
}

