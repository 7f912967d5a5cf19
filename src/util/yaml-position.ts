import { LineCounter, parseDocument, type Document } from 'yaml'

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


/** Parse a YAML file with positions; syntax errors come back as file:line:column messages. */
export function parseYamlFile(text: string, file: string): { doc: Document; lc: LineCounter; errors: { file: string; line: number; column: number; message: string }[] } {
  const lc = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true })
  const errors = doc.errors.map((e) => {
    const pos = lc.linePos(e.pos[0])
    return { file, line: pos.line, column: pos.col, message: `YAML: ${e.message.split('\n')[0]}` }
  })
  return { doc, lc, errors }
}
