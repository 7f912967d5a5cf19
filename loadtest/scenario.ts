import { readFileSync } from 'node:fs'
import { z } from 'zod'

/** A load scenario, shared by the k6 scripts and the Node runner (loadtest/scenarios/*.json). */
export const ScenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string(),
  stages: z.array(z.strictObject({ duration_s: z.number().positive(), rate: z.number().positive(), ramp: z.boolean().optional() })).min(1),
  corpus: z.enum(['mixed', 'attack']),
  burst_corpus: z.enum(['mixed', 'attack']).optional(),
  burst_stage: z.number().int().min(0).optional(),
  burst_share: z.number().min(0).max(1).optional(),
  thresholds: z.strictObject({ p95_ms: z.number().positive(), p99_ms: z.number().positive(), error_rate: z.number().min(0).max(1) }),
})
export type Scenario = z.infer<typeof ScenarioSchema>

export function loadScenario(file: string): Scenario {
  return ScenarioSchema.parse(JSON.parse(readFileSync(file, 'utf8')))
}

/** When request k is due, in seconds from the start, for an open-loop sender following the stages. */
export function schedule(s: Scenario, scale = 1): { at: number; stage: number }[] {
  const out: { at: number; stage: number }[] = []
  let t0 = 0
  let prevRate = s.stages[0]!.rate * scale
  s.stages.forEach((st, i) => {
    const end = t0 + st.duration_s
    const from = st.ramp ? prevRate : st.rate * scale
    const to = st.rate * scale
    // integrate the (linearly ramping) rate: the k-th arrival is where the cumulative count reaches k
    let t = t0
    while (t < end) {
      const rate = from + ((to - from) * (t - t0)) / st.duration_s
      out.push({ at: t, stage: i })
      t += 1 / Math.max(rate, 1e-6)
    }
    t0 = end
    prevRate = to
  })
  return out
}
