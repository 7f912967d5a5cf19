import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** The pids of a process's children, from /proc (empty where the kernel does not list them). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/**
 * CPU seconds a process and its live descendants have used so far (user + system), from /proc; undefined
 * where /proc is absent. Descendants count so that WORKERS=n is measured by its workers, not its idle primary.
 */
export function cpuSeconds(pid: number): number | undefined {
  const own = ownCpuSeconds(pid)
  if (own === undefined) return undefined
  return childrenOf(pid).reduce((sum, c) => sum + (cpuSeconds(c) ?? 0), own)
}

function ownCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return undefined
  }
}

/**
 * Run `fn` and measure each process's CPU over it: `cpu` in cores (rounded to 0.01, for tables), `used` in
 * CPU seconds unrounded (for CPU per event, where 0.01 core at 2,000/s would be a 5 µs step).
 */
export async function measureCpu<T>(pids: Record<string, number>, fn: () => Promise<T>): Promise<{ result: T; cpu: Record<string, number | null>; used: Record<string, number | null>; seconds: number }> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]))
  const self0 = process.cpuUsage()
  const t0 = performance.now()
  const result = await fn()
  const seconds = (performance.now() - t0) / 1000
  const self = process.cpuUsage(self0)
  const used: Record<string, number | null> = {}
  for (const [k, pid] of Object.entries(pids)) {
    const a = before[k]
    const b = cpuSeconds(pid)
    used[k] = a === undefined || b === undefined ? null : b - a
  }
  used.generator = (self.user + self.system) / 1e6
  const cpu = Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v === null ? null : Math.round((v / seconds) * 100) / 100]))
  return { result, cpu, used, seconds }
}

export interface Served {
  proc: ChildProcess
  url: string
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Start `node [nodeArgs] --import tsx <entry>` (a .ts entry) or `node [nodeArgs] <entry>` (JavaScript, such as
 * scripts/start.mjs, which `npm start` runs) with `env` (in `cwd`), wait until GET /readyz answers 200.
 * Its stdout goes to `onStdout` when given (bench:gc reads `--trace-gc` there), else nowhere.
 */
export async function serve(entry: string, port: number, env: Record<string, string>, nodeArgs: string[] = [], cwd?: string, onStdout?: (chunk: Buffer) => void): Promise<Served> {
  const proc = spawn(process.execPath, [...nodeArgs, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry], { cwd, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'] })
  if (onStdout) proc.stdout!.on('data', onStdout)
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`${entry} exited: ${stderr}`)
    try {
      if ((await fetch(`${url}/readyz`)).ok) break
    } catch {
      // not listening yet
    }
    if (i > 150) throw new Error(`${entry} not ready after 30 s: ${stderr}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    proc,
    url,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode !== null) return
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill(signal)
      await Promise.race([exited, new Promise((r) => setTimeout(r, 12_000))])
      if (proc.exitCode === null) proc.kill('SIGKILL')
    },
  }
}
