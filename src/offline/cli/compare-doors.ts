import { GBT_PARAMS, modelFeatures } from '../train/feature-set.js'
import { predictGbt, type GbtModel } from '../../model/trees.js'
import { trainGbt } from '../train/gbt.js'
import { recallAtFpr, rocAuc } from '../report/metrics.js'
import { vectorize } from '../../model/model.js'
import { runSimulated } from '../train/run-sim.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { EVENT_TYPES } from '../../events/schemas.js'
import { loadRuleSet } from '../../rules/ruleset.js'

/**
 * npm run compare:doors — one tree model with the door as a feature, against one model per door,
 * trained on the same vectors (seed 1) and scored on the same held-out vectors (seed 1001, later span).
 * Model probabilities only (no rules), so the comparison is about the model shape alone.
 */
const names = modelFeatures('gbt', loadRuleSet('rules').catalog)
const GBT = GBT_PARAMS
const asn = sharedSignalData().asn

async function vectors(seed: number, start: string) {
  const rows = await runSimulated(simulate(asn, { ...DEFAULT_PARAMS, seed, start }), null, 'rules')
  return rows.map((r) => ({ door: r.event.event, x: vectorize(names, r.response.features as Record<string, number | boolean | string>), y: r.event.label === 'fraud' ? 1 : 0 }))
}
const train = await vectors(1, DEFAULT_PARAMS.start)
const test = await vectors(1001, '2026-11-23T00:00:00+08:00')

const t0 = Date.now()
const single = trainGbt(train.map((r) => r.x), Uint8Array.from(train, (r) => r.y), GBT)
const singleMs = Date.now() - t0
const t1 = Date.now()
const perDoor = new Map<string, GbtModel>()
for (const door of EVENT_TYPES) {
  const rows = train.filter((r) => r.door === door)
  perDoor.set(door, trainGbt(rows.map((r) => r.x), Uint8Array.from(rows, (r) => r.y), GBT))
}
const perDoorMs = Date.now() - t1

const report = (label: string, p: (r: (typeof test)[number]) => number) => {
  const line = (rows: typeof test, tag: string) => {
    const s = rows.map(p)
    const y = rows.map((r) => r.y)
    return `  ${tag.padEnd(13)} AUC ${rocAuc(s, y).toFixed(4)}  recall@1%FPR ${(recallAtFpr(s, y, 0.01).recall * 100).toFixed(1)}%  recall@0.5%FPR ${(recallAtFpr(s, y, 0.005).recall * 100).toFixed(1)}%`
  }
  console.log(label)
  console.log(line(test, 'all doors'))
  for (const door of EVENT_TYPES) console.log(line(test.filter((r) => r.door === door), door))
}
report(`one model, door as a feature (${singleMs} ms to train)`, (r) => predictGbt(single, r.x))
report(`one model per door (${perDoorMs} ms to train)`, (r) => predictGbt(perDoor.get(r.door)!, r.x))
