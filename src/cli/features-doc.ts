import { FEATURES } from '../features/catalog.js'

/** The feature table of rules/README.md, generated from the catalog (a test keeps the README in step). */
export function featureTable(): string {
  const rows = FEATURES.map((f) => `| \`${f.name}\` | ${f.type} | ${f.events.length === 3 ? 'all' : f.events.join(', ')} | ${f.description} |`)
  return ['| feature | type | doors | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(featureTable() + '\n')
