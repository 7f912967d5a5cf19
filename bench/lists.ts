import { performance } from 'node:perf_hooks'
import { parseList } from '../src/rules/lists.js'
import { Rng } from '../src/offline/sim/random.js'
import { machine, writeResult } from './machine.js'

/** IP list lookups at 100k CIDR entries (IPv4 and IPv6 mixed), and the load time.   npm run bench:lists */
const r = new Rng(5)
const lines: string[] = []
for (let i = 0; i < 90_000; i++) {
  const bits = r.int(16, 32)
  const x = (Math.floor(r.next() * 2 ** 32) >>> 0) & ((0xffffffff << (32 - bits)) >>> 0)
  lines.push(`${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}/${bits}`)
}
for (let i = 0; i < 10_000; i++) lines.push(`240e:${r.hex(3)}:${r.hex(4)}:${r.hex(4)}::/64`)
let t = performance.now()
const { list } = parseList('bench_ips', lines.join('\n'))
const loadMs = performance.now() - t
const probes = Array.from({ length: 4096 }, (_, i) => (i % 10 === 0 ? `240e:${r.hex(3)}:${r.hex(4)}:${r.hex(4)}::1` : `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`))
let hits = 0
for (let i = 0; i < 20_000; i++) if (list!.has(probes[i % probes.length])) hits++
const N = 500_000
t = performance.now()
for (let i = 0; i < N; i++) if (list!.has(probes[i % probes.length])) hits++
const ns = ((performance.now() - t) * 1e6) / N
const m = machine()
console.log(`${m.cpus}x ${m.cpu}, node ${m.node}`)
console.log(`100,000 entries loaded in ${loadMs.toFixed(0)} ms; ${ns.toFixed(0)} ns per lookup (address parse included), ${hits} hits`)
console.log(`written to ${writeResult('lists', { entries: 100_000, load_ms: loadMs, ns_per_lookup: ns })}`)
