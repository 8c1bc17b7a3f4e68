import t from 'tap'
import { latencySvg, markdownReport, type ScenarioResult, type SuiteReport, scenarioTable } from '../../loadtest/report.ts'

const scenario = (id: string, p50: number, p95: number, p99: number, extra: Partial<ScenarioResult> = {}): ScenarioResult => ({
  id,
  title: `title of ${id}`,
  settings: 'c=100',
  requests: 1234,
  durationS: 1,
  reqPerSec: 1234,
  latency: { count: 1234, p50, p95, p99, max: p99 + 1, mean: p50 },
  errors: 0,
  timeouts: 0,
  non2xx: 2,
  ...extra,
})

t.test('the table has one row per scenario with its figures', async (t) => {
  const table = scenarioTable([
    scenario('b', 1.5, 3, 9, {
      ratioToBaseline: 0.91,
      hitRate: 0.5,
      upstream: { aliexpress: 1, facebook: 2, youtube: 3 },
      serverCpuUsPerRequest: 61.25,
      serverBusy: 0.98,
      driverBusy: 0.7,
    }),
    scenario('u', 612, 900, 1300),
  ])
  const rows = table.split('\n')
  t.equal(rows.length, 4)
  t.match(rows[2], /^\| b: title of b \| c=100 \| 1,234 \| 1,234 \| 1\.50 \| 3\.00 \| 9\.00 \| 10\.0 \| 0 \(0\) \| 2 \| 50\.0% \| 1 \/ 2 \/ 3 \| 0\.91 \| 61\.3 \| 0\.98 \/ 0\.70 \| — \|$/)
  t.match(rows[3], /\| 612 \| 900 \| 1300 \|/)
})

t.test('the report states machine, checks and failures plainly', async (t) => {
  const report: SuiteReport = {
    revision: 'abc1234',
    startedAt: 'start',
    finishedAt: 'end',
    command: 'npm run loadtest',
    machine: { cores: 2, cpu: 'Test CPU', memoryGiB: 4, node: 'v24.0.0', platform: 'linux-x64' },
    target: { url: 'http://127.0.0.1:1', mode: 'child', persistence: 'off' },
    scenarios: [scenario('b', 1, 2, 3)],
    checks: [
      { target: 'fast', measured: '1 ms', pass: true },
      { target: 'faster', measured: '1 ms', pass: false },
      { target: 'skipped', measured: 'not measured', pass: undefined },
    ],
    notes: ['a note'],
  }
  const md = markdownReport(report)
  t.match(md, /2 cores \(Test CPU\)/)
  t.match(md, /Node v24\.0\.0/)
  t.match(md, /\| fast \| 1 ms \| pass \|/)
  t.match(md, /\| faster \| 1 ms \| \*\*FAIL\*\* \|/)
  t.match(md, /\| skipped \| not measured \| not measured \|/)
  t.match(md, /- a note/)
})

t.test('the SVG draws three bars per scenario on a log scale, taller for slower', async (t) => {
  const svg = latencySvg([scenario('fast', 1, 2, 4), scenario('slow<&>', 100, 500, 1000)])
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
  t.match(svg, /<\/svg>\n$/)
  const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="16" height="([\d.]+)" fill="[^"]+"><title>([^<]+)<\/title>/g)]
  t.equal(bars.length, 6)
  const height = (label: string) => Number(bars.find((b) => b[3]!.startsWith(label))![2])
  t.ok(height('fast p50') < height('fast p95') && height('fast p95') < height('fast p99'))
  // log scale: 1 ms -> 1000 ms is three decades, each the same height
  const decade = (height('slow&#60;&#38;&#62; p50') - height('fast p50')) / 2
  t.ok(Math.abs(height('slow&#60;&#38;&#62; p99') - height('slow&#60;&#38;&#62; p50') - decade) < 0.5)
  t.notMatch(svg, /slow<&>/)
  t.match(svg, /slow&#60;&#38;&#62;/)
})
