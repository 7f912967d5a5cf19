import { readFileSync, writeFileSync } from 'node:fs'
import { FEATURES } from '../features/catalog.js'

/** The feature table of rules/README.md, generated from the catalog (a test keeps the README in step). */
export function featureTable(): string {
  const rows = FEATURES.map((f) => `| \`${f.name}\` | ${f.type} | ${f.events.length === 3 ? 'all' : f.events.join(', ')} | ${f.description} |`)
  return ['| feature | type | doors | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

const HEADER = '| feature | type | doors | meaning |'

/** `npm run rules:docs` rewrites the table at the end of rules/README.md. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = 'rules/README.md'
  const text = readFileSync(file, 'utf8')
  const at = text.indexOf(HEADER)
  if (at < 0) throw new Error(`${file} has no feature table to replace`)
  writeFileSync(file, text.slice(0, at) + featureTable() + '\n')
  console.log(`${file}: ${FEATURES.length} features`)
}
