// npm run build: the service compiled to dist/ (tsc), with the Lua scripts it loads beside their module.
// Offline tools (training, simulation, replay) stay source-only: they run with tsx from a full install.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let tsc
try {
  tsc = require.resolve('typescript/bin/tsc')
} catch {
  console.error('npm run build needs the dev dependencies (typescript): run `npm ci` first, build, then `npm prune --omit=dev`')
  process.exit(1)
}
rmSync('dist', { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
cpSync('src/velocity/lua', 'dist/velocity/lua', { recursive: true })
cpSync('src/learning/lua', 'dist/learning/lua', { recursive: true })
// what start.mjs compares the sources with
writeFileSync('dist/.built', `${new Date().toISOString()}\n`)
