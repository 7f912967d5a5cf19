import { z } from 'zod'
import type { Catalog } from '../../features/catalog.js'
import { CounterSchema } from '../../rules/counters-file.js'
import { RuleSchema } from '../../rules/ruleset.js'
import { KEY_ALIASES, KEY_FIELDS } from '../../velocity/counters.js'
import { CaseSchema, EventCaseSchema } from './cases.js'

type Json = Record<string, unknown>

/**
 * JSON Schemas for the files a risk team edits, made from the same zod schemas the loader validates with,
 * so an editor's autocomplete and the service cannot disagree. The feature names of a rules revision are
 * filled in where a file names features (a feature case's `features`), so an editor completes those too.
 * `npm run rules:docs` writes them to rules/schema/; a test keeps them in step. Each YAML file names its
 * schema on its first line (`# yaml-language-server: $schema=…`), which the YAML language server reads.
 */
export function ruleFileSchemas(catalog: Catalog): Record<string, Json> {
  const of = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json
  const strip = (s: Json) => {
    delete s.$schema
    return s
  }
  const file = (title: string, key: string, item: Json): Json => ({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title,
    type: 'object',
    additionalProperties: false,
    required: [key],
    properties: { [key]: { type: 'array', items: item } },
  })

  const counter = strip(of(CounterSchema))
  const keys = [...KEY_FIELDS, ...Object.keys(KEY_ALIASES)]
  ;(counter.properties as Json).key = { type: 'array', minItems: 1, maxItems: 3, items: { enum: keys }, description: 'one to three identifiers the counter is kept per' }

  const featureCase = strip(of(CaseSchema))
  const typeOf = { number: 'number', bool: 'boolean', string: 'string' } as const
  const features = (featureCase.properties as Json).features as Json
  features.properties = Object.fromEntries(catalog.features.map((f) => [f.name, { type: typeOf[f.type], description: f.description }]))

  return {
    'rules.schema.json': file('Bouncer rule file (rules/<door>.yaml, rules/shared.yaml)', 'rules', strip(of(RuleSchema))),
    'counters.schema.json': file('Bouncer velocity counters (rules/counters.yaml)', 'counters', counter),
    'cases.schema.json': file('Bouncer rule test cases (rules/<file>.cases.yaml)', 'cases', { anyOf: [featureCase, strip(of(EventCaseSchema))] }),
  }
}
