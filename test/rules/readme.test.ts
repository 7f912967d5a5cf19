import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { featureTable } from '../../src/offline/cli/features-doc.js'
import { loadRuleSet } from '../../src/rules/ruleset.js'

describe('rules/README.md', () => {
  const text = readFileSync('rules/README.md', 'utf8')
  it('lists exactly the features the service computes (regenerate with `npm run rules:docs`)', () => {
    expect(text).toContain(featureTable(loadRuleSet('rules').catalog))
  })
  it('shows a rule example that compiles', () => {
    const id = /- id: (\S+)/.exec(text)![1]
    expect(loadRuleSet('rules').rules.map((r) => r.id)).toContain(id)
  })
})
