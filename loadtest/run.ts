import { parseArgs } from 'node:util'
import { ROOT } from './processes.ts'
import { scenarioTable } from './report.ts'
import { ALL_GROUPS, runSuite, type ScenarioGroup } from './suite.ts'

// npm run loadtest [-- --quick] [--duration=30] [--only=a,b,e] [--url=http://127.0.0.1:3000]
// Full run: several minutes. Results go to loadtest/results/ (latest.md, latest.json, latency.svg).

const { values } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    url: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    'allow-remote': { type: 'boolean', default: false },
  },
})

const quick = values.quick ?? false
const durationS = values.duration ? Number(values.duration) : quick ? 3 : 30
if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 600) throw new Error('--duration must be 1-600 seconds')
const groups = new Set((values.only ?? ALL_GROUPS.join(',')).split(',').map((g) => g.trim()) as ScenarioGroup[])
for (const g of groups) if (!ALL_GROUPS.includes(g)) throw new Error(`--only takes ${ALL_GROUPS.join(',')}; got ${g}`)
// (b) is reported as a ratio to (e): one without the other says little.
if (groups.has('b')) groups.add('e')
if (values.url) {
  const host = new URL(values.url).hostname
  // This suite can saturate what it targets; pointing it at someone else's server needs intent.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host) && !values['allow-remote']) throw new Error('--url is not loopback; add --allow-remote if you mean it')
}

const log = (line: string) => process.stderr.write(`${line}\n`)
const stop = () => {
  log('interrupted: stopping the children')
  process.exit(130)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)

const report = await runSuite({
  groups,
  durationS,
  quick,
  url: values.url?.replace(/\/$/, ''),
  outDir: values.out ?? `${ROOT}loadtest/results`,
  command: `npm run loadtest${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  databaseUrl: process.env.DATABASE_URL,
  cacheMemoryMaxBytes: Number(process.env.CACHE_MEMORY_MAX_BYTES ?? 67_108_864),
  log,
})
console.log(scenarioTable(report.scenarios))
for (const check of report.checks) console.log(`${check.pass === undefined ? '-   ' : check.pass ? 'pass' : 'FAIL'}  ${check.target}: ${check.measured}`)
process.exit(0)
