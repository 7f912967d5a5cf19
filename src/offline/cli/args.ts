import { parseArgs as parseNodeArgs } from 'node:util'

/**
 * `--name value`, `--name=value` and `--flag` options for the project's scripts, parsed by node:util's
 * parseArgs (strict: an unknown option or a stray argument is an error), with numbers checked here.
 */
export function parseArgs(argv: string[], spec: Record<string, 'string' | 'number' | 'boolean'>): Record<string, string | number | boolean | undefined> {
  const options = Object.fromEntries(Object.entries(spec).map(([name, kind]) => [name, { type: kind === 'boolean' ? ('boolean' as const) : ('string' as const) }]))
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>
  try {
    values = parseNodeArgs({ args: argv, options, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new Error(`${(err as Error).message} (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})`, { cause: err })
  }
  const out: Record<string, string | number | boolean | undefined> = {}
  for (const [name, v] of Object.entries(values)) {
    if (Array.isArray(v) || v === undefined) continue
    if (spec[name] === 'number') {
      const n = Number(v)
      if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number`)
      out[name] = n
    } else out[name] = v
  }
  return out
}

/**
 * parseArgs for a script's entry point: `--help` prints the usage (given, or the known options) and exits 0;
 * a bad option prints the error and the usage to stderr and exits 2, the shell's "usage error", instead of a
 * stack trace.
 */
export function cliArgs(argv: string[], spec: Record<string, 'string' | 'number' | 'boolean'>, usage?: string): Record<string, string | number | boolean | undefined> {
  const known = Object.entries(spec).map(([name, kind]) => `  --${name}${kind === 'boolean' ? '' : ` <${kind}>`}`).join('\n')
  const text = usage ?? `options:\n${known}\n`
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    process.exit(0)
  }
  try {
    return parseArgs(argv, spec)
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${text.endsWith('\n') ? text : `${text}\n`}`)
    process.exit(2)
  }
}
