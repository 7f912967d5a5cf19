/**
 * A progress line on stderr for the long offline commands (train, evaluate, replay, backtest): `\r`-rewritten
 * in place at most four times a second, and only when stderr is a terminal, so logs, pipes and CI stay clean.
 */
export interface Progress {
  tick(n?: number): void
  done(): void
}

interface Terminal {
  isTTY?: boolean
  write(s: string): unknown
}

const NONE: Progress = { tick() {}, done() {} }

export interface ProgressOptions {
  /** ticks between clock reads: 64 for a tick per event, 1 for a tick per slow step */
  every?: number
  stream?: Terminal
  clock?: () => number
}

export function progress(label: string, total: number | undefined, o: ProgressOptions = {}): Progress {
  const stream = o.stream ?? process.stderr
  const clock = o.clock ?? Date.now
  const every = o.every ?? 64
  if (!stream.isTTY) return NONE
  const t0 = clock()
  let n = 0
  let shown = -Infinity
  let width = 0
  const show = (now: number) => {
    const secs = ((now - t0) / 1000).toFixed(1)
    const line = total ? `${label}: ${n.toLocaleString('en')}/${total.toLocaleString('en')} (${Math.floor((100 * n) / total)}%), ${secs} s` : `${label}: ${n.toLocaleString('en')}, ${secs} s`
    stream.write(`\r${line.padEnd(width)}`)
    width = line.length
    shown = now
  }
  return {
    tick(k = 1) {
      n += k
      // a replay ticks per event: the clock is not read on every one
      if (n % every !== 0 && n !== total) return
      const now = clock()
      if (now - shown >= 250) show(now)
    },
    done() {
      show(clock())
      stream.write('\n')
    },
  }
}
