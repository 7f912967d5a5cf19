// k6 script for the scenarios in ../scenarios/*.json, the same files and corpora the Node runner plays.
//   npm run loadtest:corpus                      # once: writes ../corpus/*.ndjson from the simulator
//   k6 run -e SCENARIO=rush -e URL=http://127.0.0.1:3000 -e KEY=... loadtest/k6/scenario.js
// Thresholds (p95, p99, error rate) and response-shape checks come from the scenario file.
import http from 'k6/http'
import { check } from 'k6'
import { Counter } from 'k6/metrics'
import { SharedArray } from 'k6/data'
import exec from 'k6/execution'

const NAME = __ENV.SCENARIO || 'steady'
const URL = __ENV.URL || 'http://127.0.0.1:3000'
const KEY = __ENV.KEY || ''
const SCALE = Number(__ENV.SCALE || '1')
const S = JSON.parse(open(`../scenarios/${NAME}.json`))

const corpus = (name) => new SharedArray(name, () => open(`../corpus/${name}.ndjson`).split('\n').filter((l) => l.length > 0))
const MAIN = corpus(S.corpus)
const BURST = S.burst_corpus ? corpus(S.burst_corpus) : null

// A step in the scenario is a 1 s ramp then a hold; a `ramp` stage ramps linearly over its whole duration.
// During the burst stage the attack corpus takes `burst_share` of the stage's rate (as in the Node runner).
function stagesFor(scale) {
  const out = []
  for (let i = 0; i < S.stages.length; i++) {
    const st = S.stages[i]
    const share = BURST && i === S.burst_stage ? S.burst_share : 0
    const target = Math.max(1, Math.round(st.rate * scale * (1 - share)))
    if (st.ramp) out.push({ duration: `${st.duration_s}s`, target })
    else out.push({ duration: '1s', target }, { duration: `${Math.max(st.duration_s - 1, 1)}s`, target })
  }
  return out
}

const scenarios = {
  main: {
    executor: 'ramping-arrival-rate',
    exec: 'main',
    startRate: Math.round(S.stages[0].rate * SCALE),
    timeUnit: '1s',
    preAllocatedVUs: 200,
    maxVUs: 4000,
    stages: stagesFor(SCALE),
  },
}
if (BURST && S.burst_stage !== undefined) {
  const start = S.stages.slice(0, S.burst_stage).reduce((s, st) => s + st.duration_s, 0)
  const st = S.stages[S.burst_stage]
  scenarios.burst = {
    executor: 'constant-arrival-rate',
    exec: 'burst',
    startTime: `${start}s`,
    duration: `${st.duration_s}s`,
    rate: Math.max(1, Math.round(st.rate * SCALE * S.burst_share)),
    timeUnit: '1s',
    preAllocatedVUs: 200,
    maxVUs: 4000,
  }
}

export const options = {
  scenarios,
  thresholds: {
    http_req_duration: [`p(95)<${S.thresholds.p95_ms}`, `p(99)<${S.thresholds.p99_ms}`],
    http_req_failed: [`rate<${S.thresholds.error_rate}`],
    checks: ['rate>0.999'],
  },
}

const DECISIONS = { allow: true, challenge: true, review: true, deny: true }
// answered without velocity or the model (the service failing open under load); reported, as the Node runner does
const degraded = new Counter('degraded')

function send(pool) {
  const n = exec.scenario.iterationInTest
  const body = JSON.parse(pool[n % pool.length])
  // every request is a new event, not an idempotent retry of an earlier one
  body.event_id = `${body.event_id}-${exec.scenario.name}-${n}`
  const res = http.post(`${URL}/v1/score`, JSON.stringify(body), { headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' } })
  check(res, {
    'status 200': (r) => r.status === 200,
    'decision': (r) => r.status === 200 && DECISIONS[r.json('decision')] === true,
    'score 0-100': (r) => r.status === 200 && typeof r.json('score') === 'number',
    'rules version': (r) => r.status === 200 && typeof r.json('rules.version') === 'string',
  })
  if (res.status === 200) {
    const d = res.json('degraded')
    if (Array.isArray(d) && d.length > 0) degraded.add(1)
  }
}

export function main() {
  send(MAIN)
}

export function burst() {
  send(BURST)
}
