import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScoreRequest, type ScoreResponse } from '../../src/events/schemas.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import { decodeStored, encodeStored } from '../../src/scoring/stored-decision.js'
import { readCorpus } from '../../loadtest/corpus.js'
import { testConfig } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }
const decided = ({ event_id: _e, event: _t, replayed: _r, latency_ms: _l, features: _f, ...rest }: ScoreResponse) => rest

describe('the stored decision', () => {
  let runtime: Runtime
  const answers: ScoreResponse[] = []
  beforeAll(async () => {
    runtime = await createRuntime(testConfig(), quiet)
    // the load corpus's mix of doors, attacks and shoppers: every reason, model and rules shape the service gives
    const corpus = readCorpus('mixed').slice(0, 400)
    for (const [i, line] of corpus.entries()) {
      const body = JSON.parse(line) as Record<string, unknown>
      answers.push(await runtime.scorer.score(ScoreRequest.parse({ ...body, event_id: `${String(body.event_id)}-sd${i}` })))
    }
  })
  afterAll(async () => {
    await runtime.close()
  })

  it('gives back every decided field of real answers exactly, with the request hash', () => {
    expect(new Set(answers.map((a) => a.decision)).size).toBeGreaterThan(1)
    for (const a of answers) {
      const { stored, rh } = decodeStored(encodeStored(a, 'RequestHash0123456789a'))
      expect(rh).toBe('RequestHash0123456789a')
      // the same keys in the same order: a replay reads like the first answer
      expect(JSON.stringify(stored), a.event_id).toBe(JSON.stringify(decided(a)))
    }
  })

  it('keeps values the packing does not recognise as they are', () => {
    const a: ScoreResponse = { ...answers[0]!, decision_id: 'dec_AB-not-a-uuid', rules: { version: 'dev-revision', matched: [], shadow_matched: [] }, model: null, degraded: ['model'], reasons: [{ code: 'X', rule: 'r' }] }
    expect(decodeStored(encodeStored(a, 'h')).stored).toEqual(decided(a))
  })

  it('stores under half the bytes of the response as a JSON object', () => {
    const compact = answers.reduce((n, a) => n + Buffer.byteLength(encodeStored(a, 'RequestHash0123456789a')), 0)
    const object = answers.reduce((n, a) => n + Buffer.byteLength(JSON.stringify({ ...a, rh: 'RequestHash0123456789a' })), 0)
    expect(compact / object).toBeLessThan(0.5)
  })

  it('still reads a record written as a JSON object by the previous version', () => {
    const a = answers[0]!
    const { stored, rh } = decodeStored(JSON.stringify({ ...a, rh: 'old' }))
    expect(rh).toBe('old')
    expect(stored).toEqual(decided(a))
  })

  it('refuses a record in a format it does not know, rather than guessing', () => {
    expect(() => decodeStored('[9,"h"]')).toThrow(/format 9/)
  })
})
