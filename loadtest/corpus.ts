import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { sharedSignalData } from '../src/signals/shared-data.js'
import { DEFAULT_PARAMS, simulate } from '../src/offline/sim/simulate.js'

/**
 * Request corpora for load tests, made by the traffic simulator (so nothing is downloaded and no single
 * body is sent over and over): `mixed` is all three doors with attacks in their simulated share, `attack`
 * only attack events. Bodies carry no occurred_at (live scoring uses the service clock); senders append the
 * request number to event_id so that replays of the corpus are new events, not idempotent retries.
 *   npm run loadtest:corpus [-- SCALE]
 */
export function writeCorpora(dir = 'loadtest/corpus', scale = 1): { mixed: number; attack: number } {
  const events = simulate(sharedSignalData().asn, { ...DEFAULT_PARAMS, seed: 4242, start: '2026-12-01T00:00:00+08:00', scale })
  const bodies = events.map((e) => {
    const { label, sim: _s, occurred_at: _o, ...body } = e
    return { label, line: JSON.stringify(body) }
  })
  mkdirSync(dir, { recursive: true })
  const mixed = bodies.map((b) => b.line)
  const attack = bodies.filter((b) => b.label === 'fraud').map((b) => b.line)
  writeFileSync(`${dir}/mixed.ndjson`, mixed.join('\n') + '\n')
  writeFileSync(`${dir}/attack.ndjson`, attack.join('\n') + '\n')
  return { mixed: mixed.length, attack: attack.length }
}

/** A corpus's request bodies, one JSON string each; the corpora are made first if they are missing. */
export function readCorpus(name: 'mixed' | 'attack' = 'mixed', dir = 'loadtest/corpus'): string[] {
  if (!existsSync(`${dir}/${name}.ndjson`)) writeCorpora(dir)
  return readFileSync(`${dir}/${name}.ndjson`, 'utf8').split('\n').filter(Boolean)
}

/** A corpus body as a new event: its event_id gets `-tag-i`, so a replayed corpus is not idempotent retries. */
export function freshEvent(body: string, tag: string, i: number): string {
  return body.replace(/"event_id":"([^"]*)"/, `"event_id":"$1-${tag}-${i}"`)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = writeCorpora('loadtest/corpus', Number(process.argv[2] ?? 1))
  console.log(`loadtest/corpus: mixed ${n.mixed} bodies, attack ${n.attack} bodies`)
}
