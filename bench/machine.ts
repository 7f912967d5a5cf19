import { cpus, totalmem } from 'node:os'
import { mkdirSync, writeFileSync } from 'node:fs'

export interface Machine {
  cpus: number
  cpu: string
  memory_gb: number
  node: string
  platform: string
}

export function machine(): Machine {
  return { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` }
}

export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync('bench/results', { recursive: true })
  const file = `bench/results/${name}.json`
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), machine: machine(), ...result }, null, 2) + '\n')
  return file
}
