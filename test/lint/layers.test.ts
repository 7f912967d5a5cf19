import { resolve } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({ cwd: process.cwd() })
/** The rule ids ESLint reports for `text` as if it were the file at `path` (nothing is written). */
async function lint(path: string, text: string): Promise<string[]> {
  const [r] = await eslint.lintText(text, { filePath: resolve(path) })
  return r!.messages.map((m) => m.ruleId ?? m.message)
}

describe('layer rules (eslint.config.js)', () => {
  it('refuses an import that runs up the layers or into offline code', async () => {
    expect(await lint('src/model/probe.ts', "import { fitModel } from '../offline/train/fit.js'\nexport const a = fitModel\n")).toContain('no-restricted-imports')
    expect(await lint('src/rules/probe.ts', "import { Scorer } from '../scoring/scorer.js'\nexport const a = Scorer\n")).toContain('no-restricted-imports')
    expect(await lint('src/features/probe.ts', "import { CounterPlan } from '../velocity/counters.js'\nexport const a = CounterPlan\n")).toContain('no-restricted-imports')
    expect(await lint('src/scoring/stages/probe.ts', "import Fastify from 'fastify'\nexport const a = Fastify\n")).toContain('no-restricted-imports')
    expect(await lint('src/app.ts', "import { simulate } from './offline/sim/simulate.js'\nexport const a = simulate\n")).toContain('no-restricted-imports')
    expect(await lint('src/http/routes/probe.ts', "import { createRuntime } from '../../runtime.js'\nexport const a = createRuntime\n")).toContain('no-restricted-imports')
  })

  it('lets imports run down the layers, within a folder, and offline code import anything', async () => {
    expect(await lint('src/scoring/stages/probe.ts', "import { extract } from './extract.js'\nimport { evaluateRules } from '../../rules/evaluate.js'\nexport const a = [extract, evaluateRules]\n")).toEqual([])
    expect(await lint('src/http/routes/probe.ts', "import type { Runtime } from '../../runtime.js'\nexport type A = Runtime\n")).toEqual([])
    expect(await lint('src/offline/cli/probe.ts', "import { Scorer } from '../../scoring/scorer.js'\nexport const a = Scorer\n")).toEqual([])
  })
})
