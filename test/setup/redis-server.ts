import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A real redis-server on a free loopback port, with no persistence, for integration tests. */
export interface RedisProcess {
  url: string
  port: number
  pid: number
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.unref()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      s.close(() => resolve(port))
    })
  })
}

export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0
}

export async function startRedis(port?: number, extra: string[] = []): Promise<RedisProcess> {
  if (!redisServerAvailable()) {
    throw new Error('redis-server is not installed: run `apt-get install -y redis-server` (the .ci/run script does this)')
  }
  const p = port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'bouncer-redis-'))
  const child: ChildProcess = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 10 s')), 10_000)
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited with ${code}: ${out}`))
    })
  })
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RedisClusterProcess {
  /** seed nodes as `host:port,host:port`, the REDIS_CLUSTER_NODES format */
  nodes: string
  ports: number[]
  stop(): Promise<void>
}

/**
 * A real Redis Cluster of `masters` masters (no replicas) on loopback ports: each node is a redis-server
 * with --cluster-enabled, joined by `redis-cli --cluster create`, then polled until the cluster is ok.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterProcess> {
  const procs: RedisProcess[] = []
  try {
    for (let i = 0; i < masters; i++) procs.push(await startRedis(undefined, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']))
    const addrs = procs.map((p) => `127.0.0.1:${p.port}`)
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 })
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`)
    const deadline = Date.now() + 20_000
    for (;;) {
      const states = procs.map((p) => spawnSync('redis-cli', ['-p', String(p.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout)
      if (states.every((s) => s.includes('cluster_state:ok'))) break
      if (Date.now() > deadline) throw new Error(`cluster not ok after 20 s: ${states.join(' | ')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    return { nodes: addrs.join(','), ports: procs.map((p) => p.port), stop: async () => void (await Promise.all(procs.map((p) => p.stop()))) }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()))
    throw err
  }
}
