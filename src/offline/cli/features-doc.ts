import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { Catalog } from '../../features/catalog.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { ruleFileSchemas } from '../rules/json-schema.js'

/** The feature table of rules/README.md, generated from the catalog (a test keeps the README in step). */
/** `catalog`: a rules revision's, request features first, then its counters'. */
export function featureTable(catalog: Catalog): string {
  const rows = catalog.features.map((f) => `| \`${f.name}\` | ${f.type} | ${f.events.length === 3 ? 'all' : f.events.join(', ')} | ${f.description} |`)
  return ['| feature | type | doors | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

const HEADER = '| feature | type | doors | meaning |'

/** The schema files as written: two-space JSON and a final newline. */
export const schemaText = (schema: unknown) => JSON.stringify(schema, null, 2) + '\n'

/** `npm run rules:docs` rewrites the table at the end of rules/README.md, and the JSON Schemas in rules/schema/. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const file = 'rules/README.md'
  const text = readFileSync(file, 'utf8')
  const at = text.indexOf(HEADER)
  if (at < 0) throw new Error(`${file} has no feature table to replace`)
  const catalog = loadRuleSet('rules').catalog
  writeFileSync(file, text.slice(0, at) + featureTable(catalog) + '\n')
  console.log(`${file}: ${catalog.features.length} features`)
  mkdirSync('rules/schema', { recursive: true })
  for (const [name, schema] of Object.entries(ruleFileSchemas(catalog))) {
    writeFileSync(`rules/schema/${name}`, schemaText(schema))
    console.log(`rules/schema/${name}`)
  }
}
