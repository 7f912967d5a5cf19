import { createWriteStream } from 'node:fs'
import { sharedSignalData } from '../../signals/shared-data.js'
import { loadSimParams } from '../sim/params.js'
import { DEFAULT_PARAMS, simulate } from '../sim/simulate.js'
import { cliArgs } from './args.js'

const a = cliArgs(process.argv.slice(2), { seed: 'number', scale: 'number', days: 'number', start: 'string', out: 'string', config: 'string' })
const params = { ...(a.config ? loadSimParams(a.config as string) : DEFAULT_PARAMS), ...(a.seed !== undefined ? { seed: a.seed as number } : {}), ...(a.scale !== undefined ? { scale: a.scale as number } : {}), ...(a.days !== undefined ? { days: a.days as number } : {}), ...(a.start ? { start: a.start as string } : {}) }
// one synchronous call of a few seconds: say so on a terminal rather than sit silent
if (process.stderr.isTTY) process.stderr.write(`simulating seed ${params.seed}, scale ${params.scale}…\r`)
const events = simulate(sharedSignalData().asn, params)
const out = a.out ? createWriteStream(a.out as string) : process.stdout
for (const e of events) out.write(JSON.stringify(e) + '\n')
if (out !== process.stdout) out.end()
const fraud = events.filter((e) => e.label === 'fraud').length
process.stderr.write(`simulated ${events.length} events (${fraud} fraud) with seed ${params.seed}, scale ${params.scale}\n`)
