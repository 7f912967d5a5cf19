import { spawn } from 'node:child_process'
import { describe, expect, inject, it } from 'vitest'
import { freePort } from '../setup/redis-server.js'

/** `npm start` as a user runs it: no configuration at all. */
describe('server process', () => {
  // npm start itself, not the server file: a process manager signals npm's PID, and the server must stop with it
  // (through tsx it went npm -> sh -> tsx -> node and the server outlived npm, still serving).
  it('npm start runs the built service with no configuration, prints a development key, serves it, and stops when npm gets SIGTERM', async () => {
    const port = await freePort()
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }
    for (const k of ['API_KEYS', 'REDIS_URL', 'PII_SECRET', 'ADMIN_KEYS']) delete env[k]
    const npmCli = process.env.npm_execpath
    const child = npmCli?.endsWith('.js')
      ? spawn(process.execPath, [npmCli, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    try {
      // a checkout newer than dist/ is built first (~10 s)
      for (let i = 0; i < 600 && !stdout.includes('bouncer listening'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(stdout).toContain('bouncer listening')
      const serverPid = Number(/"pid":(\d+)[^\n]*bouncer listening/.exec(stdout)?.[1])
      expect(serverPid).not.toBe(child.pid)
      expect(stdout).toMatch(/VELOCITY COUNTERS ARE IN-MEMORY/)
      const key = /API key:\s+(\S+)/.exec(stderr)?.[1]
      expect(key).toMatch(/^bk_dev_/)
      const res = await fetch(`http://127.0.0.1:${port}/v1/score`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ event_id: 'proc-1', event: 'login', ip: '198.51.100.1', account_id: 'a', outcome: 'success' }),
      })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { decision: string }).decision).toMatch(/^(allow|challenge|review|deny)$/)
      // the key is printed once, to stderr, and never logged
      expect(stdout).not.toContain(key!)
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
    // nothing is left behind serving the port
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow()
  })

  it('refuses to start on a bad variable, naming it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'not-a-port' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    expect(code).not.toBe(0)
    expect(stderr).toContain('config error: PORT')
  })

  it('runs WORKERS=2 processes on one port over shared Redis counters, and stops them all on SIGTERM', async () => {
    const port = await freePort()
    const key = 'workers-key-0123456789abcdef'
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', WORKERS: '2', REDIS_URL: inject('redisUrl'), REDIS_PREFIX: 'tworkers:', API_KEYS: key }
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    try {
      for (let i = 0; i < 150 && (stdout.match(/bouncer listening/g) ?? []).length < 2; i++) await new Promise((r) => setTimeout(r, 100))
      expect((stdout.match(/bouncer listening/g) ?? []).length).toBe(2)
      const pids = new Set([...stdout.matchAll(/"pid":(\d+)[^\n]*bouncer listening/g)].map((m) => m[1]))
      expect(pids.size).toBe(2)
      // both workers count into the same Redis: a device seen 6 times reads 6 whichever worker answers
      const device = { id: `wdev-${Date.now()}`, platform: 'ios' }
      let last: { features: Record<string, number> } | undefined
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/score?explain=1`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ event_id: `w-${Date.now()}-${i}`, event: 'login', ip: '198.51.100.9', account_id: `a${i}`, outcome: 'success', device }),
        })
        expect(res.status).toBe(200)
        last = (await res.json()) as { features: Record<string, number> }
      }
      expect(last!.features['device.accounts_1h']).toBe(6)
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })

  it('refuses WORKERS above 1 without shared counters', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, WORKERS: '2', REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    expect(code).toBe(78)
    expect(stderr).toContain('config error: WORKERS: more than one worker needs shared counters')
  })
})
