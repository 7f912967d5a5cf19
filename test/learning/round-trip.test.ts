import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { Model } from '../../src/model/model.js'
import { backtestStored } from '../../src/offline/replay/store-backtest.js'
import { DEFAULT_PARAMS, simulate, type SimEvent } from '../../src/offline/sim/simulate.js'
import { modelFeatures } from '../../src/offline/train/feature-set.js'
import { feedbackRows, fitCandidate, type FeedbackRows } from '../../src/offline/train/from-feedback.js'
import { createRuntime, type Runtime } from '../../src/runtime.js'
import type { DecisionLog } from '../../src/scoring/decision-log.js'
import { sharedSignalData } from '../../src/signals/shared-data.js'
import { AUTH, SHIPPED_CATALOG, testConfig, uniq } from '../helpers.js'

const quiet = { info() {}, warn() {}, error() {} }

/** rank AUC: the chance a fraud row scores above a legit one */
function auc(p: ArrayLike<number>, y: ArrayLike<number>): number {
  const idx = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]!)
  let rank = 0
  let pos = 0
  idx.forEach((i, r) => {
    if (y[i]) {
      rank += r + 1
      pos++
    }
  })
  const neg = p.length - pos
  return (rank - (pos * (pos + 1)) / 2) / (pos * neg)
}

// The label loop end to end on a real Redis: score events, post labels, train on them, serve the result as
// the challenger, and see both scores in the decision log.
describe('the label loop on Redis Streams', () => {
  const prefix = `${uniq('loop')}:`
  const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: prefix, DECISIONS_STORE: 'redis' }
  let runtime: Runtime
  let app: FastifyInstance
  let events: SimEvent[]
  let fb: FeedbackRows
  const posted = { fraud: 0, legit: 0 }
  const outDir = join(mkdtempSync(join(tmpdir(), 'bouncer-fb-model-')), 'risk-gbt-fb')
  const features = modelFeatures('gbt', SHIPPED_CATALOG)

  beforeAll(async () => {
    const config = testConfig(env)
    runtime = await createRuntime(config, quiet)
    app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    events = simulate(sharedSignalData().asn, { ...DEFAULT_PARAMS, seed: 77, scale: 0.06 })
    let i = 0
    for (const e of events) {
      const { label, sim: _sim, ...body } = e
      const res = await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: body })
      expect(res.statusCode).toBe(200)
      // every fraud is labelled (chargebacks, reviews); a third of the legit events are confirmed, the rest
      // stay unlabelled and count as legit once mature
      if (label === 'fraud' || i++ % 3 === 0) {
        const f = await app.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id: e.event_id, label, source: label === 'fraud' ? 'chargeback' : 'manual_review' } })
        expect(f.statusCode).toBe(202)
        posted[label]++
      }
    }
    await runtime.learning.flush()
    fb = await feedbackRows(runtime.learning, features, { now: Date.now() + 1000, maturityDays: 0, unlabelled: 'legit' })
  }, 120_000)

  afterAll(async () => {
    await app?.close()
    await runtime?.close()
  })

  it('stores one record per fresh decision and every label, joined by the hashed event id', () => {
    expect(runtime.learning.stats()).toMatchObject({ dropped: 0, queued: 0 })
    expect(fb.stats.decisions_read).toBe(events.length)
    expect(fb.stats.labels).toBe(posted.fraud + posted.legit)
    expect(fb.stats.labels_unmatched).toBe(0)
    expect(fb.stats.degraded).toBe(0)
    expect(fb.stats.labelled_fraud).toBe(posted.fraud)
    expect(fb.stats.labelled_legit).toBe(posted.legit)
    expect(fb.stats.assumed_legit).toBe(events.length - posted.fraud - posted.legit)
    expect(fb.rows).toHaveLength(events.length)
  })

  it('leaves out decisions younger than the maturity window', async () => {
    const young = await feedbackRows(runtime.learning, features, { now: Date.now(), maturityDays: 30, unlabelled: 'legit' })
    expect(young.stats).toMatchObject({ used: 0, immature: events.length })
  })

  it('trains a candidate on the labels that separates them, says where its rows came from, and serves it as the challenger', async () => {
    const card = await fitCandidate({ kind: 'gbt', features, rulesDir: 'rules', outDir, id: 'risk-gbt-fb', version: 'test-fb', feedback: fb, simulated: [], simulator: {}, simShare: 0 })
    expect(card.training).toMatchObject({ events: events.length, fraud: posted.fraud, sources: { feedback: { rows: events.length, share: 1 }, simulator: { rows: 0, share: 0 } } })

    const model = await Model.load(outDir, SHIPPED_CATALOG)
    const width = features.length
    const rows = new Float32Array(fb.rows.length * width)
    fb.rows.forEach((r, i) => rows.set(r.x, i * width))
    const p = await model.predictBatch(rows, fb.rows.length)
    expect(auc(p, fb.rows.map((r) => r.y))).toBeGreaterThan(0.95)

    // the stored period replayed with the candidate: every record scored, the served side as stored
    const bt = await backtestStored(runtime.learning, model)
    await model.close()
    expect(bt.records).toBe(events.length)
    expect(bt.labelled).toEqual({ fraud: posted.fraud, legit: posted.legit })
    expect(Object.values(bt.a.decisions).reduce((s, n) => s + n, 0)).toBe(events.length)

    const lines: DecisionLog[] = []
    const config = testConfig({ ...env, CHALLENGER_MODEL_DIR: outDir })
    const rt = await createRuntime(config, quiet, { decisionLog: (l) => lines.push(l) })
    const a = await buildApp(config, { runtime: rt, apiKeys: config.apiKeys!, adminKeys: [] })
    try {
      const { label: _l, sim: _s, ...body } = events.find((e) => e.label === 'fraud')!
      const res = await a.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: { ...body, event_id: uniq('again') } })
      expect(res.statusCode).toBe(200)
      expect(lines).toHaveLength(1)
      expect(lines[0]!.model).toBe(`${rt.policy.current.model!.id}@${rt.policy.current.model!.version}`)
      expect(lines[0]!.model_score).toBeTypeOf('number')
      expect(lines[0]!.challenger).toMatchObject({ model: 'risk-gbt-fb@test-fb' })
      expect(lines[0]!.challenger!.score).toBeGreaterThanOrEqual(0)
    } finally {
      await a.close()
      await rt.close()
    }
  }, 60_000)
})

describe('the label loop on the embedded file store', () => {
  it('keeps records and labels across a restart, in files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-learn-'))
    const env = { DECISIONS_FILE: join(dir, 'decisions.ndjson'), FEEDBACK_FILE: join(dir, 'feedback.ndjson') }
    const config = testConfig(env)
    expect(config.decisionsStore).toBe('file')
    let runtime = await createRuntime(config, quiet)
    let app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const ids = [uniq('f'), uniq('f'), uniq('f')]
    for (const event_id of ids) expect((await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: { event_id, event: 'login', ip: '36.112.24.11', account_id: uniq('u'), outcome: 'success' } })).statusCode).toBe(200)
    expect((await app.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id: ids[1], label: 'fraud', source: 'chargeback' } })).statusCode).toBe(202)
    await app.close()
    await runtime.close()
    // a new process reads what the last one wrote
    runtime = await createRuntime(config, quiet)
    app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const fb = await feedbackRows(runtime.learning, ['event.is_login', 'ip.version'], { now: Date.now() + 1000, maturityDays: 0, unlabelled: 'legit' })
    expect(fb.stats).toMatchObject({ decisions_read: 3, used: 3, labelled_fraud: 1, assumed_legit: 2 })
    expect(fb.rows.map((r) => Array.from(r.x))).toEqual([[1, 4], [1, 4], [1, 4]])
    await app.close()
    await runtime.close()
  })

  it('keeps no decision records with DECISIONS_STORE=off, and still takes labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bouncer-learn-'))
    const config = testConfig({ DECISIONS_STORE: 'off', DECISIONS_FILE: join(dir, 'd.ndjson'), FEEDBACK_FILE: join(dir, 'f.ndjson') })
    const runtime = await createRuntime(config, quiet)
    const app = await buildApp(config, { runtime, apiKeys: config.apiKeys!, adminKeys: [] })
    const event_id = uniq('off')
    await app.inject({ method: 'POST', url: '/v1/score', headers: AUTH, payload: { event_id, event: 'login', ip: '36.112.24.11', account_id: uniq('u'), outcome: 'success' } })
    expect((await app.inject({ method: 'POST', url: '/v1/feedback', headers: AUTH, payload: { event_id, label: 'legit', source: 'manual_review' } })).statusCode).toBe(202)
    await runtime.learning.flush()
    const fb = await feedbackRows(runtime.learning, ['event.is_login'], { now: Date.now() + 1000, maturityDays: 0, unlabelled: 'legit' })
    expect(fb.stats).toMatchObject({ decisions_read: 0, labels: 1, labels_unmatched: 1 })
    await app.close()
    await runtime.close()
  })
})
