/** Tiny `--name value` / `--flag` parser for the project's scripts. */
export function parseArgs(argv: string[], spec: Record<string, 'string' | 'number' | 'boolean'>): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`)
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined]
    const kind = spec[name]
    if (!kind) throw new Error(`unknown option --${name} (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`)
    if (kind === 'boolean') {
      out[name] = true
      continue
    }
    const v = inline ?? argv[++i]
    if (v === undefined) throw new Error(`--${name} needs a value`)
    if (kind === 'number') {
      const n = Number(v)
      if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`)
      out[name] = n
    } else out[name] = v
  }
  return out
}
