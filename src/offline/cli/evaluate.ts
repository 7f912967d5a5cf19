import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fitModel } from '../train/fit.js'
import { evaluate, formatEvaluation, pct, rankScore } from '../report/evaluate.js'
import { Model } from '../../model/model.js'
import { loadRuleSet } from '../../rules/ruleset.js'
import { formatHitRates, gateFailures, hitRates, LEGIT_HIT_LIMIT } from '../rules/hit-rates.js'
import { evaluationHtml, rocPoints } from '../report/html.js'
import { runSimulated } from '../train/run-sim.js'
import { sharedSignalData } from '../../signals/shared-data.js'
import { ATTACK_FAMILIES, DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { cliArgs } from './args.js'

/**
 * npm run evaluate [-- --model DIR] [--rules DIR] [--seed N | --seeds N,N,...] [--start ISO] [--scale X] [--html FILE] [--json FILE] [--gate]
 * Held-out evaluation: traffic from a seed and time span the model was not trained on (defaults: seed
 * 1001, two weeks after the training span), through the whole pipeline, decisions as served, with each
 * rule's hit rate on legitimate and fraudulent events. --seeds pools several held-out samples (each replayed
 * with fresh counters): one sample holds only a few campaigns per family, so its per-family figures swing.
 * --leave-one-out: for each attack family, train a model on training traffic without that family (seed 1)
 * and report how much of the family the served decisions stop on held-out traffic: catch on attacks it never saw.
 * --oracle: also train a model on the held-out samples themselves and serve them with it. Not an evaluation: an
 * upper bound on what the decision-time features can tell apart, so a family the oracle cannot stop is not a
 * tuning problem but a lack of signal at decision time.
 * --gate (npm run rules:gate, on three pooled samples): exit 1 when an enforcing rule that asks for friction hits more than 0.1% of
 * legitimate held-out events and its file gives no `justification`.
 */
const a = cliArgs(process.argv.slice(2), { model: 'string', rules: 'string', seed: 'number', seeds: 'string', start: 'string', scale: 'number', html: 'string', json: 'string', gate: 'boolean', 'leave-one-out': 'boolean', oracle: 'boolean' })
const modelDir = (a.model as string | undefined) ?? process.env.MODEL_DIR ?? 'models/risk-gbt'
const rulesDir = (a.rules as string | undefined) ?? 'rules'
const ruleSet = loadRuleSet(rulesDir)
const model = await Model.load(modelDir, ruleSet.catalog)
const training = (model.card.training as { simulator?: { seed?: number } }).simulator
const seed = (a.seed as number | undefined) ?? 1001
if (training?.seed === seed) process.stderr.write(`warning: seed ${seed} is the training seed; this is not a held-out evaluation\n`)
const params = { ...DEFAULT_PARAMS, seed, start: (a.start as string | undefined) ?? '2026-11-23T00:00:00+08:00', scale: (a.scale as number | undefined) ?? 1 }
const seeds = a.seeds ? String(a.seeds).split(',').map((x) => Number(x.trim())) : [seed]
if (seeds.some((x) => !Number.isInteger(x))) throw new Error('--seeds takes integers: --seeds 1001,1002,1003')
if (seeds.includes(training?.seed ?? NaN)) process.stderr.write(`warning: --seeds includes the training seed ${training?.seed}\n`)
const samples = seeds.map((s) => simulate(sharedSignalData().asn, { ...params, seed: s }))
const events = samples.flat()
/** each sample through the pipeline with fresh counters: samples overlap in time */
const serve = async (m: Model) => (await Promise.all(samples.map((ev) => runSimulated(ev, m, rulesDir)))).flat()
const rows = await serve(model)
const e = evaluate(rows)
const rates = hitRates(rows.map((r) => ({ label: r.event.label, response: r.response })), ruleSet.rules)
await model.close()
process.stdout.write(`${model.card.id}@${model.card.version} on seed${seeds.length > 1 ? 's' : ''} ${seeds.join(',')} from ${params.start} (${events.length} events), rules ${ruleSet.version.slice(0, 19)}…\n\n${formatEvaluation(e)}\n\n${formatHitRates(rates)}\n`)
if (a.html) {
  const roc = rocPoints(rows.map((r) => rankScore(r.response)), rows.map((r) => (r.event.label === 'fraud' ? 1 : 0)))
  writeFileSync(a.html as string, evaluationHtml(`${model.card.id}@${model.card.version}: held-out evaluation`, e, roc))
  process.stdout.write(`chart written to ${a.html}\n`)
}
if (a.json) writeFileSync(a.json as string, JSON.stringify({ evaluation: e, hit_rates: rates }, null, 2) + '\n')
if (a.gate) {
  const bad = gateFailures(rates)
  for (const r of bad) {
    const def = ruleSet.rules.find((x) => x.id === r.rule)
    process.stderr.write(`${def ? `${def.file.startsWith(rulesDir) ? def.file : join(rulesDir, def.file)}:${def.line} ` : ''}[${r.rule}] enforces ${r.action} on ${(r.legit_rate * 100).toFixed(2)}% of legitimate held-out events (limit ${LEGIT_HIT_LIMIT * 100}%): make it a shadow rule, narrow it, or add a 'justification'\n`)
  }
  process.stdout.write(bad.length ? `\nrules gate: ${bad.length} rule(s) over the legitimate hit-rate limit\n` : `\nrules gate: every enforcing rule is under ${LEGIT_HIT_LIMIT * 100}% of legitimate held-out events or justified\n`)
  if (bad.length) process.exit(1)
}

if (a.oracle) {
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-oracle-'))
  await fitModel(events, { kind: 'gbt', rulesDir, outDir: dir, simulator: { ...params, seed: seeds[0]! }, note: `in-sample oracle on seeds ${seeds.join(',')}` })
  const m = await Model.load(dir, ruleSet.catalog)
  const o = evaluate(await serve(m))
  await m.close()
  rmSync(dir, { recursive: true, force: true })
  const lines = ['| attack family | events | not allowed (shipped model) | not allowed (oracle: trained on these events) |', '|---|---:|---:|---:|']
  for (const [f, x] of Object.entries(e.by_attack)) lines.push(`| ${f} | ${x.events} | ${pct(x.not_allowed / x.events)} | ${pct(o.by_attack[f]!.not_allowed / x.events)} |`)
  const gl = ['| legit group | events | friction (shipped) | friction (oracle) |', '|---|---:|---:|---:|']
  for (const [g, x] of Object.entries(e.by_legit_group)) gl.push(`| ${g} | ${x.events} | ${pct(x.not_allowed / x.events)} | ${pct(o.by_legit_group[g]!.not_allowed / x.events)} |`)
  process.stdout.write(`\nin-sample oracle (a model trained on the events it is scored on: the most the decision-time features allow, not a held-out figure):\n\n${lines.join('\n')}\n\n${gl.join('\n')}\n`)
}

if (a['leave-one-out']) {
  // Families that are one campaign's two halves leave together: a farm's cash-out follows its sign-ups.
  const LINKED: Record<string, string[]> = { signup_farm: ['signup_farm', 'farm_cashout'], credential_stuffing: ['credential_stuffing', 'account_takeover'] }
  const trainParams = { ...DEFAULT_PARAMS, seed: 1, scale: params.scale }
  const trainAll = simulate(sharedSignalData().asn, trainParams)
  const lines = ['| family left out of training | held-out events | not allowed (model trained without it) | not allowed (shipped model) |', '|---|---:|---:|---:|']
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-loo-'))
  const results: Record<string, { events: number; not_allowed: number; shipped: number }> = {}
  const followers = new Set(Object.values(LINKED).flatMap((l) => l.slice(1)))
  for (const fam of ATTACK_FAMILIES.filter((f) => !followers.has(f))) {
    const out = LINKED[fam] ?? [fam]
    const outDir = join(dir, fam)
    await fitModel(trainAll.filter((ev) => !out.includes(ev.sim.family)), { kind: 'gbt', rulesDir, outDir, simulator: trainParams, note: `leave-one-out without ${out.join('+')}` })
    const m = await Model.load(outDir, ruleSet.catalog)
    const held = await serve(m)
    await m.close()
    for (const f of out) {
      const rowsF = held.filter((r) => r.event.sim.family === f)
      const na = rowsF.filter((r) => r.response.decision !== 'allow').length
      const shipped = e.by_attack[f]!
      results[f] = { events: rowsF.length, not_allowed: rowsF.length ? na / rowsF.length : NaN, shipped: shipped.events ? shipped.not_allowed / shipped.events : NaN }
      lines.push(`| ${f}${out.length > 1 ? ` (left out with ${out.filter((x) => x !== f).join(', ')})` : ''} | ${rowsF.length} | ${(results[f]!.not_allowed * 100).toFixed(1)}% | ${(results[f]!.shipped * 100).toFixed(1)}% |`)
    }
    process.stderr.write(`left out ${out.join('+')}: done\n`)
  }
  rmSync(dir, { recursive: true, force: true })
  process.stdout.write(`\nleave-one-family-out (train seed 1 without the family, held-out seed ${seed}):\n\n${lines.join('\n')}\n`)
  if (a.json) writeFileSync(a.json as string, JSON.stringify({ evaluation: e, hit_rates: rates, leave_one_out: results }, null, 2) + '\n')
}
