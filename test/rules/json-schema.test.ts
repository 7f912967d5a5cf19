import { readdirSync, readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { schemaText } from '../../src/offline/cli/features-doc.js'
import { ruleFileSchemas } from '../../src/offline/rules/json-schema.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'

const schemas = ruleFileSchemas(loadRuleSet('rules').catalog)
const schemaOf = (file: string) => (file.endsWith('.cases.yaml') ? 'cases.schema.json' : file === 'counters.yaml' ? 'counters.schema.json' : 'rules.schema.json')
const yamlFiles = readdirSync('rules').filter((f) => f.endsWith('.yaml'))

describe('the rule files’ JSON Schemas', () => {
  it('are the ones committed in rules/schema/ (regenerate with `npm run rules:docs`)', () => {
    for (const [name, schema] of Object.entries(schemas)) expect(readFileSync(`rules/schema/${name}`, 'utf8'), name).toBe(schemaText(schema))
  })

  it('accept every shipped rule, counter and case file, and each file names its schema on its first line', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false })
    expect(yamlFiles.length).toBeGreaterThanOrEqual(9)
    for (const f of yamlFiles) {
      const text = readFileSync(`rules/${f}`, 'utf8')
      expect(text.split('\n')[0], f).toBe(`# yaml-language-server: $schema=schema/${schemaOf(f)}`)
      const validate = ajv.getSchema(schemaOf(f)) ?? (ajv.addSchema(schemas[schemaOf(f)]!, schemaOf(f)), ajv.getSchema(schemaOf(f))!)
      expect(validate(parse(text)) ? [] : validate.errors, f).toEqual([])
    }
  })

  it('reject what the loader rejects: a misspelt field, an unknown action, a bad key, a feature of the wrong type', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false })
    const rules = ajv.compile(schemas['rules.schema.json']!)
    const rule = { id: 'x.y', event: 'login', when: 'true', action: 'deny', code: 'X', description: 'd' }
    expect(rules({ rules: [rule] })).toBe(true)
    expect(rules({ rules: [{ ...rule, acton: 'deny' }] })).toBe(false)
    expect(rules({ rules: [{ ...rule, action: 'block' }] })).toBe(false)
    const counters = ajv.compile(schemas['counters.schema.json']!)
    const counter = { name: 'ip.x', description: 'd', events: ['login'], key: ['ip'], windows: ['10m'] }
    expect(counters({ counters: [counter] })).toBe(true)
    expect(counters({ counters: [{ ...counter, key: ['ipaddr'] }] })).toBe(false)
    const cases = ajv.compile(schemas['cases.schema.json']!)
    const c = { name: 'n', event: 'login', features: { 'login.failure': true }, expect: { matched: [] } }
    expect(cases({ cases: [c] })).toBe(true)
    expect(cases({ cases: [{ ...c, features: { 'login.failure': 3 } }] })).toBe(false)
  })
})
