// npm start: runs the built service (dist/server.js) in this process, so a process manager's SIGTERM reaches
// the server's own graceful shutdown (npm -> node, no wrapper in between). On a checkout whose sources are
// newer than dist/ it builds first; without the compiler (npm ci --omit=dev) it runs the dist/ it was given.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const newest = (dir) => {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== 'offline') t = Math.max(t, newest(p))
    } else t = Math.max(t, statSync(p).mtimeMs)
  }
  return t
}
const built = existsSync('dist/.built') && existsSync('dist/server.js') ? statSync('dist/.built').mtimeMs : 0
const hasSources = existsSync('src/server.ts')
if (hasSources && built < newest('src')) {
  let hasCompiler = true
  try {
    createRequire(import.meta.url).resolve('typescript/bin/tsc')
  } catch {
    hasCompiler = false
  }
  if (hasCompiler) {
    process.stderr.write(built ? 'src/ changed since the last build: building dist/\n' : 'building dist/ (npm run build)\n')
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  } else if (!built) {
    console.error('dist/ is missing and typescript is not installed: build with `npm ci && npm run build`, then `npm prune --omit=dev`')
    process.exit(1)
  } else {
    process.stderr.write('warning: src/ is newer than dist/ and typescript is not installed: running the dist/ that is here\n')
  }
}
// stack traces name the TypeScript lines
process.setSourceMapsEnabled(true)
await import('../dist/server.js')
