import { join } from 'node:path'
import { loadConfig } from '../../config.js'
import { openLearningStore } from '../../learning/open.js'
import { learningTarget } from '../../runtime.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { modelFeatures } from '../train/feature-set.js'
import { autoSimShare, ENOUGH_FRAUD, feedbackRows, fitCandidate, simulatedRows } from '../train/from-feedback.js'
import { cliArgs } from './args.js'

export const FEEDBACK_HELP = `npm run train -- --from-feedback [options]

Retrain on the labels posted to /v1/feedback, joined to the decision records the service stored (the same
store the service uses: DECISIONS_STORE, REDIS_URL, DECISIONS_FILE, FEEDBACK_FILE from the environment),
topped up with simulated traffic where labels are scarce. Writes a model directory for CHALLENGER_MODEL_DIR.

  --kind gbt|lr          model kind (gbt)
  --maturity-days N      decisions younger than this are left out; older unlabelled ones count as legit (30)
  --unlabelled legit|skip  what an unlabelled mature decision is (legit)
  --since ISO            earliest decision used
  --sim-share X|auto     share of the training set that is simulated, 0-1 (auto: 80% with no labelled
                         fraud, falling to 0 at 1,000 labelled fraud rows; 0 = labels only)
  --seed N               simulator seed for the top-up (1)
  --out DIR              where the model goes (out/models/<id>)
  --id ID --version V    the card's id (risk-<kind>-fb) and version (today's date, -fb)
  --rules DIR            the rules revision whose features the model reads (rules)
  --now ISO              the training run's clock (now)
`

export async function trainFromFeedback(argv: string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(FEEDBACK_HELP)
    return
  }
  const a = cliArgs(argv, { 'from-feedback': 'boolean', kind: 'string', 'maturity-days': 'number', unlabelled: 'string', since: 'string', 'sim-share': 'string', seed: 'number', out: 'string', id: 'string', version: 'string', rules: 'string', now: 'string' }, FEEDBACK_HELP)
  const kind = (a.kind as string | undefined) ?? 'gbt'
  if (kind !== 'gbt' && kind !== 'lr') throw new Error('--kind is gbt or lr')
  const unlabelled = (a.unlabelled as string | undefined) ?? 'legit'
  if (unlabelled !== 'legit' && unlabelled !== 'skip') throw new Error('--unlabelled is legit or skip')
  const shareArg = (a['sim-share'] as string | undefined) ?? 'auto'
  const fixedShare = shareArg === 'auto' ? undefined : Number(shareArg)
  if (fixedShare !== undefined && !(fixedShare >= 0 && fixedShare <= 1)) throw new Error('--sim-share is auto or between 0 and 1')
  const now = a.now !== undefined ? Date.parse(a.now as string) : Date.now()
  if (!Number.isFinite(now)) throw new Error('--now must be an ISO 8601 time')
  const since = a.since !== undefined ? Date.parse(a.since as string) : undefined
  if (since !== undefined && !Number.isFinite(since)) throw new Error('--since must be an ISO 8601 time')
  const rulesDir = (a.rules as string | undefined) ?? 'rules'
  const id = (a.id as string | undefined) ?? `risk-${kind}-fb`
  const version = (a.version as string | undefined) ?? `${new Date(now).toISOString().slice(0, 10).replaceAll('-', '.')}-fb`
  const outDir = (a.out as string | undefined) ?? join('out', 'models', id)
  const seed = (a.seed as number | undefined) ?? 1

  const config = loadConfig(process.env)
  const store = openLearningStore({ ...learningTarget(config), kind: config.decisionsStore === 'off' ? 'file' : config.decisionsStore })
  const features = modelFeatures(kind, loadRuleSet(rulesDir).catalog)
  try {
    const t0 = Date.now()
    const fb = await feedbackRows(store, features, { now, maturityDays: (a['maturity-days'] as number | undefined) ?? 30, from: since, unlabelled })
    process.stderr.write(`from ${store.where}: ${JSON.stringify(fb.stats)}\n`)
    const simShare = fixedShare ?? autoSimShare(fb)
    process.stderr.write(`simulated share: ${simShare}${fixedShare === undefined ? ` (auto: ${fb.stats.labelled_fraud} labelled fraud of ${ENOUGH_FRAUD} wanted)` : ''}\n`)
    const simParams = { ...DEFAULT_PARAMS, seed }
    const simulated = simShare > 0 ? await simulatedRows(simulate(sharedSignalData().asn, simParams), features, rulesDir) : []
    const card = await fitCandidate({ kind, features, rulesDir, outDir, id, version, feedback: fb, simulated, simulator: { seed, start: simParams.start, days: simParams.days }, simShare })
    const src = card.training.sources as { feedback: { rows: number; fraud: number }; simulator: { rows: number; fraud: number } }
    process.stdout.write(
      `model ${card.id}@${card.version} written to ${outDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${src.feedback.rows} feedback rows (${src.feedback.fraud} fraud) + ${src.simulator.rows} simulated (${src.simulator.fraud} fraud); thresholds ${card.thresholds.challenge}/${card.thresholds.review}/${card.thresholds.deny}\n` +
        `Try it beside the champion: CHALLENGER_MODEL_DIR=${outDir} npm start, or npm run backtest -- --from-store --model ${outDir}\n`,
    )
  } finally {
    await store.close()
  }
}
