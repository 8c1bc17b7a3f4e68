import type { LoadOutcome } from './load.ts'
import type { LatencySummary } from './stats.ts'

// What one run of the suite measured, and the two renderings committed with it: a Markdown table
// (PERFORMANCE.md quotes it) and a hand-written SVG bar chart of latency percentiles.

export interface UpstreamCalls {
  aliexpress: number
  facebook: number
  youtube: number
}

/** One scenario's autocannon outcome (latency over every response, whatever its status) and what the suite adds. */
export interface ScenarioResult extends Omit<LoadOutcome, 'statusCodes'> {
  id: string
  title: string
  /** connections, request count or duration, ids: enough to rerun it by hand */
  settings: string
  /** HIT and STALE answers over all answers carrying X-Cache */
  hitRate?: number
  upstream?: UpstreamCalls
  ratioToBaseline?: number
  /** resident set of the API child right after the scenario */
  apiRssBytes?: number
  /** CPU time of the server under test (API or baseline child) per answered request, in µs */
  serverCpuUsPerRequest?: number
  /** that server's CPU time over wall time: 1.0 is one core fully used, so the server was the bottleneck */
  serverBusy?: number
  /** the same for this process (autocannon, and the sandboxes when they answer): near 1.0 the load generator was */
  driverBusy?: number
}

/** The API's own account of its memory after the fill (its /metrics) */
export interface MemoryBreakdown {
  heapTotalBytes: number
  heapUsedBytes: number
  /** memory V8 knows of outside its heap: Buffers (the prepared bodies), zlib, and the like */
  externalBytes: number
  cacheEntriesBytes: number
  cachePreparedBytes: number
}

export interface Check {
  target: string
  measured: string
  /** undefined when the run could not measure it (a scenario left out, an external target) */
  pass: boolean | undefined
}

export interface ProfileEntry {
  functionName: string
  location: string
  selfMs: number
  selfPercent: number
}

export interface SuiteReport {
  /** git commit and whether the tree had uncommitted changes: what was measured */
  revision: string
  startedAt: string
  finishedAt: string
  command: string
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; platform: string }
  target: { url: string; mode: 'child' | 'external'; persistence: string; cacheMemoryMaxBytes?: number; sandboxLatencyMs?: UpstreamCalls }
  scenarios: ScenarioResult[]
  checks: Check[]
  memory?: {
    products: number
    fillSeconds: number
    startupRssBytes: number
    beforeFillRssBytes: number
    afterFillRssBytes: number
    peakRssBytes: number
    cacheMemoryMaxBytes: number
    breakdown: MemoryBreakdown
    /** RSS sampled during the fill, by products sent so far */
    rssSeries: { products: number; rssBytes: number }[]
  }
  batches?: { sequentialMs: number[]; concurrentMs: number[]; concurrency: number; size: number; failedItems: number }
  uncached?: { p50Ms: number; criticalNominalMs: number; criticalMedianMs: number }
  profile?: { file: string; durationS: number; reqPerSec: number; top: ProfileEntry[] }
  notes: string[]
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2))
const pct = (v: number | undefined) => (v === undefined ? '—' : `${(v * 100).toFixed(1)}%`)
const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`

export function scenarioTable(scenarios: readonly ScenarioResult[]): string {
  const rows = [
    '| scenario | settings | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors (timeouts) | non-2xx | hit rate | upstream calls AE / FB / YT | ratio to baseline | server CPU µs/req | server / generator busy | API RSS after |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|',
  ]
  for (const s of scenarios) {
    const upstream = s.upstream ? `${int.format(s.upstream.aliexpress)} / ${int.format(s.upstream.facebook)} / ${int.format(s.upstream.youtube)}` : '—'
    rows.push(
      `| ${s.id}: ${s.title} | ${s.settings} | ${int.format(s.requests)} | ${int.format(s.reqPerSec)} | ${ms(s.latency.p50)} | ${ms(s.latency.p95)} | ${ms(s.latency.p99)} | ${ms(s.latency.max)} | ${s.errors} (${s.timeouts}) | ${s.non2xx} | ${pct(s.hitRate)} | ${upstream} | ${s.ratioToBaseline === undefined ? '—' : s.ratioToBaseline.toFixed(2)} | ${s.serverCpuUsPerRequest === undefined ? '—' : s.serverCpuUsPerRequest.toFixed(1)} | ${s.serverBusy === undefined ? '—' : s.serverBusy.toFixed(2)} / ${s.driverBusy === undefined ? '—' : s.driverBusy.toFixed(2)} | ${s.apiRssBytes === undefined ? '—' : mib(s.apiRssBytes)} |`,
    )
  }
  return rows.join('\n')
}

export function markdownReport(report: SuiteReport): string {
  const m = report.machine
  const out: string[] = [
    `# Load suite results`,
    '',
    `Run ${report.startedAt} to ${report.finishedAt} with \`${report.command}\` on ${report.revision}.`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB.toFixed(1)} GiB RAM, Node ${m.node}, ${m.platform}. ` +
      `The load generator (autocannon), the sandbox upstreams and the API share these cores.`,
    '',
    `Target: ${report.target.mode === 'child' ? 'API child process' : 'external URL'} ${report.target.url}; persistence ${report.target.persistence}` +
      (report.target.cacheMemoryMaxBytes ? `; CACHE_MEMORY_MAX_BYTES ${int.format(report.target.cacheMemoryMaxBytes)}` : '') +
      (report.target.sandboxLatencyMs
        ? `; sandbox latency AliExpress ${report.target.sandboxLatencyMs.aliexpress} ms, Meta ${report.target.sandboxLatencyMs.facebook} ms, YouTube ${report.target.sandboxLatencyMs.youtube} ms (+0-20% jitter)`
        : '') +
      '.',
    '',
    scenarioTable(report.scenarios),
    '',
    'Latency percentiles are exact (nearest rank) over every response. Hit rate counts `X-Cache: HIT` and `STALE` over all answers.',
  ]
  if (report.checks.length > 0) {
    out.push('', '## Targets', '', '| target | measured | result |', '|---|---|---|')
    for (const c of report.checks) out.push(`| ${c.target} | ${c.measured} | ${c.pass === undefined ? 'not measured' : c.pass ? 'pass' : '**FAIL**'} |`)
  }
  if (report.uncached) {
    const u = report.uncached
    out.push(
      '',
      '## Uncached latency against the upstream critical path',
      '',
      `p50 ${ms(u.p50Ms)} ms; critical path with caller keywords max(AliExpress, Meta, YouTube search + videos) = ${ms(u.criticalNominalMs)} ms nominal, ` +
        `${ms(u.criticalMedianMs)} ms median with jitter; overhead ${ms(u.p50Ms - u.criticalNominalMs)} ms over nominal, ${ms(u.p50Ms - u.criticalMedianMs)} ms over the median.`,
    )
  }
  if (report.batches) {
    const b = report.batches
    out.push(
      '',
      '## Batches of 50 cold products',
      '',
      `Sequential: ${b.sequentialMs.map(ms).join(', ')} ms. ${b.concurrency} at once: ${b.concurrentMs.map(ms).join(', ')} ms. Failed items: ${b.failedItems}.`,
    )
  }
  if (report.memory) {
    const mem = report.memory
    out.push(
      '',
      '## Memory',
      '',
      `RSS right after start-up ${mib(mem.startupRssBytes)}; before the fill ${mib(mem.beforeFillRssBytes)}; after caching ${int.format(mem.products)} distinct products (${mem.fillSeconds.toFixed(0)} s) ${mib(mem.afterFillRssBytes)} (peak ${mib(mem.peakRssBytes)}); ` +
        `CACHE_MEMORY_MAX_BYTES ${mib(mem.cacheMemoryMaxBytes)}.`,
      '',
      `RSS during the fill: ${mem.rssSeries.map((p) => `${int.format(p.products)} products ${mib(p.rssBytes)}`).join('; ')}.`,
      '',
      `After the fill, from the API's /metrics: V8 heap ${mib(mem.breakdown.heapTotalBytes)} reserved, ${mib(mem.breakdown.heapUsedBytes)} in use; ` +
        `external (Buffers and the like) ${mib(mem.breakdown.externalBytes)}; the caches count ${mib(mem.breakdown.cacheEntriesBytes)} of entries and ${mib(mem.breakdown.cachePreparedBytes)} of prepared bodies ` +
        `against a bound of ${mib(mem.cacheMemoryMaxBytes)}. The rest of the RSS is code, native libraries and allocator slack.`,
    )
  }
  if (report.profile) {
    const p = report.profile
    out.push(
      '',
      `## Where the time goes (CPU profile of the cached GET, ${p.durationS} s at ${int.format(p.reqPerSec)} req/s under the profiler, self time)`,
      '',
      profileTable(p.top),
    )
  }
  if (report.notes.length > 0) out.push('', '## Notes', '', ...report.notes.map((n) => `- ${n}`))
  return `${out.join('\n')}\n`
}

export function profileTable(top: readonly ProfileEntry[]): string {
  const rows = ['| self ms | self % | function | where |', '|--:|--:|---|---|']
  for (const e of top) rows.push(`| ${e.selfMs.toFixed(0)} | ${e.selfPercent.toFixed(1)} | \`${e.functionName}\` | ${e.location} |`)
  return rows.join('\n')
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A grouped bar chart, p50/p95/p99 per scenario, on a log scale (hits take 1 ms, misses 1,000). */
export function latencySvg(scenarios: readonly Pick<ScenarioResult, 'id' | 'latency'>[]): string {
  const series = [
    { name: 'p50', colour: '#4e79a7', value: (l: LatencySummary) => l.p50 },
    { name: 'p95', colour: '#f28e2b', value: (l: LatencySummary) => l.p95 },
    { name: 'p99', colour: '#e15759', value: (l: LatencySummary) => l.p99 },
  ]
  const bar = 18
  const group = bar * series.length + 24
  const left = 64
  const top = 40
  const plotHeight = 300
  const width = left + Math.max(1, scenarios.length) * group + 24
  const height = top + plotHeight + 70
  const all = scenarios.flatMap((s) => series.map((x) => x.value(s.latency))).filter((v) => v > 0)
  const lowExp = Math.floor(Math.log10(Math.min(1, ...all)))
  const highExp = Math.max(lowExp + 1, Math.ceil(Math.log10(Math.max(1, ...all))))
  const y = (v: number) => top + plotHeight - ((Math.log10(Math.max(v, 10 ** lowExp)) - lowExp) / (highExp - lowExp)) * plotHeight
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="13" font-weight="bold">Latency per scenario (ms, log scale)</text>`,
  ]
  for (let e = lowExp; e <= highExp; e++) {
    const yy = y(10 ** e).toFixed(1)
    parts.push(`<line x1="${left}" y1="${yy}" x2="${width - 16}" y2="${yy}" stroke="#dddddd"/>`)
    parts.push(`<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeXml(String(10 ** e))}</text>`)
  }
  parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#333333"/>`)
  scenarios.forEach((s, i) => {
    const x0 = left + 12 + i * group
    series.forEach((x, j) => {
      const v = x.value(s.latency)
      const yy = y(v)
      parts.push(
        `<rect x="${x0 + j * bar}" y="${yy.toFixed(1)}" width="${bar - 2}" height="${(top + plotHeight - yy).toFixed(1)}" fill="${x.colour}"><title>${escapeXml(`${s.id} ${x.name}: ${v.toFixed(2)} ms`)}</title></rect>`,
      )
    })
    parts.push(`<text x="${x0 + (bar * series.length) / 2}" y="${top + plotHeight + 16}" text-anchor="middle">${escapeXml(s.id)}</text>`)
  })
  series.forEach((x, j) => {
    const lx = left + j * 70
    parts.push(`<rect x="${lx}" y="${height - 24}" width="12" height="12" fill="${x.colour}"/>`)
    parts.push(`<text x="${lx + 16}" y="${height - 14}">${x.name}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
