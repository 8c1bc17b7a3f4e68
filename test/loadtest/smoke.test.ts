import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runSuite } from '../../loadtest/suite.ts'

// The whole machinery once, briefly: sandbox, API child, baseline child, autocannon, the outputs.
// It proves the suite runs, not how fast anything is.
t.test('a one-second run of (b) and (e) measures both and writes the results', async (t) => {
  const outDir = await mkdtemp(join(tmpdir(), 'dropforge-loadtest-'))
  t.teardown(() => rm(outDir, { recursive: true, force: true }))
  const lines: string[] = []
  const report = await runSuite({
    groups: new Set(['b', 'e']),
    durationS: 1,
    quick: true,
    outDir,
    command: 'smoke test',
    cacheMemoryMaxBytes: 64 * 1024 * 1024,
    log: (line) => lines.push(line),
  })
  const by = new Map(report.scenarios.map((s) => [s.id, s]))
  t.same([...by.keys()], ['e', 'e-c10', 'e-rate', 'b', 'b-rate', 'b-c10'])
  for (const s of report.scenarios) {
    t.ok(s.requests > 0, `${s.id} answered requests`)
    t.equal(s.errors, 0, `${s.id} without errors`)
    t.equal(s.non2xx, 0, `${s.id} without non-2xx`)
    t.ok(s.latency.p50 > 0 && s.latency.p50 <= s.latency.p99)
  }
  t.ok(by.get('b')!.ratioToBaseline! > 0)
  t.same(by.get('b')!.upstream, { aliexpress: 0, facebook: 0, youtube: 0 }, 'cached GETs never reach an upstream')
  t.ok(by.get('b')!.apiRssBytes! > 0)
  t.ok(by.get('b-rate')!.ratioToBaseline! > 0, 'the fixed-rate pair is compared too')
  for (const id of ['b', 'e', 'b-rate', 'e-rate']) {
    t.ok(by.get(id)!.serverCpuUsPerRequest! > 0, `${id}: the server's CPU per request`)
    t.ok(by.get(id)!.serverBusy! > 0 && by.get(id)!.driverBusy! > 0, `${id}: how busy server and load generator were`)
  }
  t.ok(
    report.notes.some((n) => n.startsWith('Cached GET: the API used')),
    'the CPU comparison is stated',
  )
  t.ok(lines.some((l) => /^\[b\] 1s /.test(l)), 'progress lines while it runs')
  const json = JSON.parse(await readFile(join(outDir, 'latest.json'), 'utf8'))
  t.equal(json.scenarios.length, 6)
  t.match(await readFile(join(outDir, 'latest.md'), 'utf8'), /\| b: cached GET, full stack \|/)
  t.match(await readFile(join(outDir, 'latency.svg'), 'utf8'), /^<svg /)
})
