import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { parseArgs } from '../../../src/offline/cli/args.js'

const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8' })

describe('the scripts’ options', () => {
  it('parse numbers, strings and flags, and refuse unknown options naming the known ones', () => {
    expect(parseArgs(['--seed', '7', '--out=x', '--gate'], { seed: 'number', out: 'string', gate: 'boolean' })).toEqual({ seed: 7, out: 'x', gate: true })
    expect(() => parseArgs(['--seed', 'seven'], { seed: 'number' })).toThrow('--seed must be a number')
    expect(() => parseArgs(['--sede', '7'], { seed: 'number' })).toThrow(/known: --seed/)
  })

  it('a script answers --help with exit 0, and a bad option with the usage and exit 2', () => {
    const help = run(['src/offline/cli/simulate.ts', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('--seed <number>')
    const bad = run(['src/offline/cli/simulate.ts', '--sede', '7'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/^error: .*sede/)
    expect(bad.stderr).toContain('--seed <number>')
    expect(bad.stderr).not.toContain('    at ')
  })
})
