import { readFileSync, writeFileSync } from 'node:fs'
import { serviceCharts, type ServiceReport } from './charts.js'

/**
 * Redraw the charts and the HTML report of the last `npm run bench:service` from its files, without running it
 * again: after a change to bench/charts.ts.
 *   npm run bench:charts
 */
const d = JSON.parse(readFileSync('bench/results/service.json', 'utf8')) as ServiceReport
const md = readFileSync('bench/results/service.md', 'utf8')
for (const [file, body] of Object.entries(serviceCharts(d, md))) {
  writeFileSync(file, body.endsWith('\n') ? body : body + '\n')
  console.log(`written ${file}`)
}
