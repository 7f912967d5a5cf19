import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/**
 * The serving layers, each with the folders of src/ it may import (besides its own). Arrows only run down:
 * http → scoring → policy → rules/model/velocity/learning → features → signals → events → util. Nothing in serving
 * imports src/offline (training, simulation, replay, reports, CLIs), which may import anything.
 */
const LAYERS = {
  util: [],
  events: ['util'],
  signals: ['events', 'util'],
  features: ['events', 'signals', 'util'],
  velocity: ['events', 'features', 'util'],
  model: ['events', 'features', 'util'],
  learning: ['events', 'features', 'util'],
  rules: ['events', 'features', 'velocity', 'util'],
  policy: ['events', 'features', 'learning', 'model', 'rules', 'signals', 'velocity', 'util'],
  scoring: ['events', 'features', 'learning', 'model', 'policy', 'rules', 'signals', 'velocity', 'util'],
  http: ['events', 'features', 'learning', 'model', 'policy', 'rules', 'scoring', 'signals', 'velocity', 'util'],
}
const FOLDERS = [...Object.keys(LAYERS), 'offline']
// an import path that enters another folder of src/ names it as a path segment
const entering = (folders) => `(^|/)(${folders.join('|')})/`

export default tseslint.config(
  { ignores: ['node_modules', 'coverage', 'loadtest/k6', 'out', '.tmp', 'dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // plain Node scripts (build and start) that run without the compiler
  { files: ['scripts/**/*.mjs'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  ...Object.entries(LAYERS).map(([layer, allowed]) => {
    const forbidden = FOLDERS.filter((f) => f !== layer && !allowed.includes(f))
    const patterns = [{ regex: entering(forbidden), message: `src/${layer} may import only ${allowed.length ? allowed.map((a) => `src/${a}`).join(', ') : 'nothing else in src/'} (layer rules in eslint.config.js)` }]
    // Domain code stays framework-free, so replay and training run the same code as the live path.
    if (layer !== 'http') patterns.push({ regex: '^(fastify|@fastify/.*)$', message: 'only src/http and src/app.ts use Fastify' })
    // The composition root and the app sit above every layer.
    patterns.push({ regex: '(^|/)(app|server|runtime)\\.js$', message: 'the composition root (app, server, runtime) is imported by nothing below it', ...(layer === 'http' ? { allowTypeImports: true } : {}) })
    return { files: [`src/${layer}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } }
  }),
  {
    files: ['src/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: entering(['offline']), message: 'serving code does not import src/offline' }] }] },
  },
)
