import { readFileSync, writeFileSync } from 'node:fs'
import { checkFeatures, Model, ModelLoadError } from '../../model/model.js'
import { backtest, formatBacktest } from '../replay/backtest.js'
import { backtestHtml } from '../report/html.js'
import { loadRuleSet, RuleLoadError } from '../../rules/ruleset.js'
import { cliArgs } from './args.js'
import { loadConfig } from '../../config.js'
import { openLearningStore } from '../../learning/open.js'
import { learningTarget } from '../../runtime.js'
import { backtestStored, formatStoredBacktest } from '../replay/store-backtest.js'

const USAGE = `usage:
  npm run backtest -- --events FILE.ndjson --b CANDIDATE_RULES_DIR [--a rules] [--model DIR] [--top 20] [--html FILE] [--json FILE]
      replay events through rule sets A and B (fresh counters, event time as the clock) and report what changed
  npm run backtest -- --from-store --model CANDIDATE_MODEL_DIR [--since ISO] [--until ISO] [--rules rules] [--top 20] [--json FILE]
      replay a stored period's decision records (the service's store: DECISIONS_STORE, REDIS_URL, DECISIONS_FILE)
      with a candidate model, against the decisions as served
`
const argv = process.argv.slice(2)
if (argv.includes('--help')) {
  process.stdout.write(USAGE)
  process.exit(0)
}
const a = cliArgs(argv, { events: 'string', a: 'string', b: 'string', model: 'string', top: 'number', html: 'string', json: 'string', 'from-store': 'boolean', since: 'string', until: 'string', rules: 'string' }, USAGE)
if (a['from-store']) {
  if (!a.model) {
    process.stderr.write(`--from-store needs --model CANDIDATE_MODEL_DIR\n${USAGE}`)
    process.exit(2)
  }
  const time = (name: string) => {
    if (a[name] === undefined) return undefined
    const t = Date.parse(a[name] as string)
    if (!Number.isFinite(t)) {
      process.stderr.write(`--${name} must be an ISO 8601 time\n`)
      process.exit(2)
    }
    return t
  }
  const period = { from: time('since'), to: time('until') }
  const config = loadConfig(process.env)
  const store = openLearningStore({ ...learningTarget(config), kind: config.decisionsStore === 'off' ? 'file' : config.decisionsStore })
  try {
    const model = await Model.load(a.model as string, loadRuleSet((a.rules as string | undefined) ?? 'rules').catalog)
    const r = await backtestStored(store, model, { ...period, top: (a.top as number | undefined) ?? 20 })
    await model.close()
    process.stdout.write(formatStoredBacktest(r) + '\n')
    if (a.json) writeFileSync(a.json as string, JSON.stringify(r, null, 2) + '\n')
  } catch (err) {
    if (err instanceof RuleLoadError || err instanceof ModelLoadError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  } finally {
    await store.close()
  }
  process.exit(0)
}
if (!a.events || !a.b) {
  process.stderr.write(USAGE)
  process.exit(2)
}
try {
  // the model must find its features in both revisions' counters
  const model = await Model.load((a.model as string | undefined) ?? process.env.MODEL_DIR ?? 'models/risk-gbt', loadRuleSet((a.a as string | undefined) ?? 'rules').catalog)
  const bad = checkFeatures(model.card, loadRuleSet(a.b as string).catalog)
  if (bad) throw new ModelLoadError(a.b as string, 1, `the candidate's counters do not serve the model: ${bad}`)
  const lines = readFileSync(a.events as string, 'utf8').split('\n')
  const r = await backtest(lines, { a: (a.a as string | undefined) ?? 'rules', b: a.b as string, model, top: (a.top as number | undefined) ?? 20 })
  await model.close()
  process.stdout.write(formatBacktest(r) + '\n')
  if (a.html) writeFileSync(a.html as string, backtestHtml(r))
  if (a.json) writeFileSync(a.json as string, JSON.stringify(r, null, 2) + '\n')
} catch (err) {
  if (err instanceof RuleLoadError || err instanceof ModelLoadError) {
    process.stderr.write(`${err.message}\n`)
    process.exit(1)
  }
  throw err
}
