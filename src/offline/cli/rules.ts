import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_THRESHOLDS } from '../../scoring/combine.js'
import { CardSchema } from '../../model/card.js'
import { checkFeatures, lineOf, Model } from '../../model/model.js'
import { COUNTERS_FILE } from '../../velocity/counters.js'
import { runCases } from '../rules/cases.js'
import { loadRuleSet, RuleLoadError, formatRuleError, type RuleSet } from '../../rules/ruleset.js'
import { readFileSync } from 'node:fs'

/**
 *   npm run rules:check [-- DIR]   validate and compile every rule file
 *   npm run rules:test  [-- DIR]   run each rule file's cases; fails when a rule has no case
 */
const [command, dirArg] = process.argv.slice(2)
const dir = dirArg ?? process.env.RULES_DIR ?? 'rules'

function load(): RuleSet {
  try {
    return loadRuleSet(dir)
  } catch (err) {
    if (err instanceof RuleLoadError) {
      for (const e of err.errors) console.error(formatRuleError(e))
      console.error(`\n${err.errors.length} error(s); nothing was loaded from ${dir}`)
      process.exit(1)
    }
    throw err
  }
}

const set = load()
const modelDir = process.env.MODEL_DIR ?? 'models/risk-gbt'
const cardFile = join(modelDir, 'card.json')
const cardText = existsSync(cardFile) ? readFileSync(cardFile, 'utf8') : undefined
const card = cardText !== undefined ? CardSchema.safeParse(JSON.parse(cardText)) : undefined
if (command === 'check') {
  const shadow = set.rules.filter((r) => r.mode === 'shadow').length
  const features = set.counters.reduce((n, c) => n + c.windows.length, 0)
  // The model in force must find every feature it reads in these counters, or the service would refuse them.
  if (card?.success) {
    const bad = checkFeatures(card.data, set.catalog)
    if (bad) {
      const name = /`([^`]+)`/.exec(bad)?.[1]
      console.error(`${cardFile}:${name ? lineOf(cardText!, `"${name}"`) : 1}:1 model ${card.data.id}@${card.data.version} reads what ${join(dir, COUNTERS_FILE)} no longer provides: ${bad}`)
      process.exit(1)
    }
  }
  console.log(`ok: ${set.rules.length} rules (${shadow} shadow) and ${set.counters.length} counters (${features} features) in ${dir}, version ${set.version}`)
  for (const r of set.rules.filter((x) => !x.compiled)) {
    console.log(`note: ${join(dir, r.file)}:${r.line} [${r.id}] uses a construct the rule compiler leaves to the slower CEL interpreter`)
  }
  // A counter nothing reads still costs Redis memory and time on every event.
  const read = new Set([...set.rules.map((r) => r.when), ...(card?.success ? card.data.features : [])].join(' ').match(/[a-z_]+\.[a-z0-9_]+/g) ?? [])
  // a derived feature that is read reads its inputs
  for (const d of set.catalog.derived) if (read.has(d.name)) for (const r of d.reads) read.add(r)
  for (const c of set.counters) {
    if (!c.windows.some((w) => read.has(`${c.name}_${w}`))) console.log(`note: ${c.at} counter \`${c.name}\` is read by no rule and not by the model`)
  }
  process.exit(0)
}
if (command !== 'test') {
  console.error('usage: rules.ts check|test [DIR]')
  process.exit(2)
}

const thresholds = card?.success ? card.data.thresholds : DEFAULT_THRESHOLDS
// Event cases run through the whole pipeline, the model in force included.
const model = card?.success ? await Model.load(modelDir, set.catalog) : null
const report = await runCases(dir, set, thresholds, model)
await model?.close()
for (const r of report.results) {
  if (r.ok) console.log(`  ok    ${r.name}`)
  else {
    console.log(`  FAIL  ${r.name}  (${r.file}:${r.line})`)
    for (const p of r.problems) console.log(`        ${p}`)
  }
}
for (const e of report.errors) console.log(`  ERROR ${e}`)
for (const u of report.uncovered) console.log(`  MISSING  ${u.file}:${u.line} rule \`${u.id}\` has no case expecting it to match`)
const failed = report.results.filter((r) => !r.ok).length + report.errors.length + report.uncovered.length
const passed = report.results.filter((r) => r.ok).length
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
