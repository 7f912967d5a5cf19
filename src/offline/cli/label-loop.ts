import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../config.js'
import { Model } from '../../model/model.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { createRuntime } from '../../runtime.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { evaluate, formatEvaluation } from '../report/evaluate.js'
import { backtestStored, formatStoredBacktest } from '../replay/store-backtest.js'
import { DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { modelFeatures } from '../train/feature-set.js'
import { autoSimShare, feedbackRows, fitCandidate, simulatedRows } from '../train/from-feedback.js'
import { runSimulated } from '../train/run-sim.js'
import { Rng } from '../sim/random.js'
import { cliArgs } from './args.js'

const HELP = `npm run label-loop -- [--seed 2001] [--scale 1] [--fraud-labelled 0.7] [--legit-labelled 0.05] [--dir out/label-loop] [--eval-seeds 1001,1002,1003]

The label loop on a storefront of the simulator's: score its traffic through the live scorer (service clock =
each event's time) into a file learning store, post labels for a share of it (chargebacks find some fraud, the
rest stays unlabelled and counts as legit), train a candidate with train --from-feedback's code, replay the stored
period with it, and compare champion and candidate on held-out seeds.
`

const argv = process.argv.slice(2)
if (argv.includes('--help')) {
  process.stdout.write(HELP)
  process.exit(0)
}
const a = cliArgs(argv, { seed: 'number', scale: 'number', 'fraud-labelled': 'number', 'legit-labelled': 'number', dir: 'string', 'eval-seeds': 'string' }, HELP)
const seed = (a.seed as number | undefined) ?? 2001
const fraudShare = (a['fraud-labelled'] as number | undefined) ?? 0.7
const legitShare = (a['legit-labelled'] as number | undefined) ?? 0.05
const dir = (a.dir as string | undefined) ?? join('out', 'label-loop')
const evalSeeds = String(a['eval-seeds'] ?? '1001,1002,1003').split(',').map(Number)
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
const t0 = Date.now()

let now = 0
const config = loadConfig({ RULES_WATCH: 'false', API_KEYS: 'label-loop-key-0123456789', DECISIONS_STORE: 'file', DECISIONS_FILE: join(dir, 'decisions.ndjson'), FEEDBACK_FILE: join(dir, 'feedback.ndjson'), LOG_LEVEL: 'silent' })
const quiet = { info() {}, warn() {}, error() {} }
const runtime = await createRuntime(config, quiet, { clock: () => now })
const asn = sharedSignalData().asn
const events = simulate(asn, { ...DEFAULT_PARAMS, seed, scale: (a.scale as number | undefined) ?? 1, start: '2026-10-26T00:00:00+08:00' })
const r = new Rng(seed)
const posted = { fraud: 0, legit: 0 }
for (const e of events) {
  const { label, sim: _sim, ...body } = e
  now = Date.parse(e.occurred_at!)
  await runtime.scorer.score(body)
  if (r.chance(label === 'fraud' ? fraudShare : legitShare)) {
    await runtime.learning.label({ event_id_hash: runtime.hash('event', e.event_id), label, source: label === 'fraud' ? 'chargeback' : 'manual_review', received_at: new Date(now).toISOString() })
    posted[label]++
  }
}
await runtime.learning.flush()
process.stderr.write(`scored ${events.length} events (seed ${seed}), labelled ${posted.fraud} fraud and ${posted.legit} legit, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`)

const rulesDir = 'rules'
const features = modelFeatures('gbt', loadRuleSet(rulesDir).catalog)
const fb = await feedbackRows(runtime.learning, features, { now: now + 86_400_000, maturityDays: 0, unlabelled: 'legit' })
const share = autoSimShare(fb)
const simulated = share > 0 ? await simulatedRows(simulate(asn, { ...DEFAULT_PARAMS, seed: 1 }), features, rulesDir) : []
const outDir = join(dir, 'risk-gbt-fb')
const card = await fitCandidate({ kind: 'gbt', features, rulesDir, outDir, id: 'risk-gbt-fb', version: `loop-${seed}`, feedback: fb, simulated, simulator: { seed: 1 }, simShare: share })
process.stdout.write(`feedback: ${JSON.stringify(fb.stats)}\nsimulated share ${share}; candidate thresholds ${card.thresholds.challenge}/${card.thresholds.review}/${card.thresholds.deny}\n\n`)

const catalog = loadRuleSet(rulesDir).catalog
const candidate = await Model.load(outDir, catalog)
process.stdout.write(`The stored period replayed with the candidate (npm run backtest -- --from-store):\n${formatStoredBacktest(await backtestStored(runtime.learning, candidate, { top: 5 }))}\n\n`)
await runtime.close()
const champion = await Model.load(config.modelDir, catalog)
const held = evalSeeds.map((s) => simulate(asn, { ...DEFAULT_PARAMS, seed: s, start: '2026-11-23T00:00:00+08:00' }))
for (const [name, m] of [['champion risk-gbt (simulator only)', champion], ['candidate (this storefront’s labels)', candidate]] as const) {
  const rows = (await Promise.all(held.map((ev) => runSimulated(ev, m, rulesDir)))).flat()
  process.stdout.write(`${name} on held-out seeds ${evalSeeds.join(',')}:\n${formatEvaluation(evaluate(rows))}\n\n`)
}
await champion.close()
await candidate.close()
process.stdout.write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s; files in ${dir}\n`)
