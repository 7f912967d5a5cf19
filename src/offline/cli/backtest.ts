import { readFileSync, writeFileSync } from 'node:fs'
import { checkFeatures, Model, ModelLoadError } from '../../model/model.js'
import { backtest, formatBacktest } from '../replay/backtest.js'
import { backtestHtml } from '../report/html.js'
import { loadRuleSet, RuleLoadError } from '../../rules/ruleset.js'
import { parseArgs } from './args.js'

/**
 * npm run backtest -- --events FILE.ndjson --b CANDIDATE_DIR [--a rules] [--model DIR] [--top 20] [--html FILE] [--json FILE]
 */
const a = parseArgs(process.argv.slice(2), { events: 'string', a: 'string', b: 'string', model: 'string', top: 'number', html: 'string', json: 'string' })
if (!a.events || !a.b) {
  process.stderr.write('usage: npm run backtest -- --events FILE.ndjson --b CANDIDATE_RULES_DIR [--a rules] [--model DIR] [--top 20] [--html FILE] [--json FILE]\n')
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
