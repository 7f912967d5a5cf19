import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../src/http/openapi.js'

describe('docs/CONTRACT.md', () => {
  const contract = readFileSync('docs/CONTRACT.md', 'utf8')

  it('ships with the repo and is what the API document points to', () => {
    expect(contract).toMatch(/^# The scoring contract/m)
    expect(contract).toContain('## POST /v1/score')
    expect(String((openApiDocument('0').info as { description: string }).description)).toContain('docs/CONTRACT.md')
  })

  it('documents every request field the service validates', async () => {
    const { ScoreRequest } = await import('../src/events/schemas.js')
    const json = JSON.stringify((await import('zod')).z.toJSONSchema(ScoreRequest, { unrepresentable: 'any', io: 'input' }))
    // the contract's tables name fields as `field`; the service's additions are documented in the README instead
    const fields = [...contract.matchAll(/^\| (?:\w+ \| )?`(\w+)` \|/gm)].map((m) => m[1]!)
    expect(fields.length).toBeGreaterThan(15)
    for (const f of fields) expect(json, f).toContain(`"${f}"`)
  })
})
