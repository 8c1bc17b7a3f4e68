import { NATIVE_OVERHEAD_MIB, statedOverheadBytes } from './api-child.ts'
import type { Check, ScenarioResult, SuiteReport } from './report.ts'
import type { SuiteSizes } from './sizes.ts'
import { slowestSourceMs } from './stats.ts'

// The targets the suite holds the API to, each read off the report: pass, fail, or not measured
// when its scenario did not run.

type Scenarios = ReadonlyMap<string, ScenarioResult>

const f = (v: number, digits = 1) => v.toFixed(digits)

export function checks(report: SuiteReport, size: SuiteSizes): Check[] {
  const by: Scenarios = new Map(report.scenarios.map((s) => [s.id, s]))
  return [
    ...cachedChecks(by),
    ...thousandByTenChecks(by),
    ...uncachedChecks(report),
    ...batchChecks(report),
    zipfCheck(by, size),
    ...memoryChecks(report),
    ...designChecks(report, by, size),
  ]
}

function cachedChecks(by: Scenarios): Check[] {
  const b = by.get('b')
  const bRate = by.get('b-rate')
  const eRate = by.get('e-rate')
  const cpuRatio = bRate?.serverCpuUsPerRequest && eRate?.serverCpuUsPerRequest ? eRate.serverCpuUsPerRequest / bRate.serverCpuUsPerRequest : undefined
  return [
    {
      target: 'Cached GET (b) >= 0.85x the bare Fastify baseline (e)',
      measured: b?.ratioToBaseline === undefined ? 'not measured' : `${f(b.ratioToBaseline, 2)}x (${f(b.reqPerSec, 0)} vs ${f(by.get('e')!.reqPerSec, 0)} req/s)`,
      pass: b?.ratioToBaseline === undefined ? undefined : b.ratioToBaseline >= 0.85,
    },
    {
      target: 'The same, read as CPU per request at an equal fixed rate (b-rate vs e-rate): baseline CPU / API CPU >= 0.85',
      measured:
        cpuRatio === undefined ? 'not measured' : `${f(cpuRatio, 2)}x (${f(bRate!.serverCpuUsPerRequest!)} vs ${f(eRate!.serverCpuUsPerRequest!)} µs per request at ${f(bRate!.reqPerSec, 0)} req/s)`,
      pass: cpuRatio === undefined ? undefined : cpuRatio >= 0.85,
    },
    { target: 'Cached GET (b) p99 <= 10 ms at 100 connections', measured: b ? `${f(b.latency.p99, 2)} ms` : 'not measured', pass: b ? b.latency.p99 <= 10 : undefined },
  ]
}

function thousandByTenChecks(by: Scenarios): Check[] {
  const aU = by.get('a-uncached')
  const aC = by.get('a-cached')
  return [
    {
      target: '1,000 x 10: zero errors and zero non-2xx (uncached and cached)',
      measured: aU && aC ? `uncached ${aU.errors} errors, ${aU.non2xx} non-2xx; cached ${aC.errors} errors, ${aC.non2xx} non-2xx` : 'not measured',
      pass: aU && aC ? aU.errors + aU.non2xx + aC.errors + aC.non2xx === 0 : undefined,
    },
    { target: '1,000 x 10 cached: p95 <= 50 ms', measured: aC ? `${f(aC.latency.p95)} ms` : 'not measured', pass: aC ? aC.latency.p95 <= 50 : undefined },
  ]
}

/** The slowest upstream's configured latency, when the suite ran the sandbox itself. */
function slowestUpstreamMs(report: SuiteReport): number | undefined {
  const lat = report.target.sandboxLatencyMs
  return lat ? Math.max(lat.aliexpress, lat.facebook, lat.youtube) : undefined
}

function uncachedChecks(report: SuiteReport): Check[] {
  const u = report.uncached
  const slowest = slowestUpstreamMs(report)
  return [
    {
      target: `Uncached p50 <= slowest upstream latency + 15 ms${slowest ? ` (${slowest + 15} ms; cannot hold: YouTube alone is two calls in a row)` : ''}`,
      measured: u ? `${f(u.p50Ms, 0)} ms` : 'not measured',
      pass: u && slowest ? u.p50Ms <= slowest + 15 : undefined,
    },
    {
      target: 'Uncached p50 <= upstream critical path + 15 ms, the slowest source with caller keywords (our reading of the target)',
      measured: u ? `${f(u.p50Ms, 0)} ms vs ${f(u.criticalNominalMs, 0)} ms nominal / ${f(u.criticalMedianMs, 0)} ms median with jitter` : 'not measured',
      pass: u ? u.p50Ms <= u.criticalMedianMs + 15 : undefined,
    },
  ]
}

function batchChecks(report: SuiteReport): Check[] {
  const batches = report.batches
  const slowest = slowestUpstreamMs(report)
  const lat = report.target.sandboxLatencyMs
  // A cold batch waits for AliExpress (its titles give the search words), then for the slowest source.
  const slowestSource = lat && slowestSourceMs(lat)
  const worstMs = batches && Math.max(...batches.sequentialMs, ...batches.concurrentMs)
  return [
    {
      target: `Batch of 50 distinct products: wall time <= 2x the slowest upstream latency${slowest ? ` (${2 * slowest} ms)` : ''}`,
      measured: batches ? `max ${f(worstMs!, 0)} ms (sequential max ${f(Math.max(...batches.sequentialMs), 0)} ms)` : 'not measured',
      pass: batches && slowest ? worstMs! <= 2 * slowest : undefined,
    },
    {
      target: `Batch of 50 distinct products: wall time <= 2x the slowest source, YouTube's two calls counted as one source${slowestSource ? ` (${2 * slowestSource} ms; our reading of the target)` : ''}`,
      measured: batches ? `max ${f(worstMs!, 0)} ms` : 'not measured',
      pass: batches && slowestSource ? worstMs! <= 2 * slowestSource : undefined,
    },
  ]
}

function zipfCheck(by: Scenarios, size: SuiteSizes): Check {
  const d = by.get('d')
  return {
    target: 'Zipf run: hit rate >= 95%',
    measured: d?.hitRate === undefined ? 'not measured' : `${f(d.hitRate * 100)}% (${size.zipfRequests} requests)`,
    pass: d?.hitRate === undefined ? undefined : d.hitRate >= 0.95,
  }
}

function memoryChecks(report: SuiteReport): Check[] {
  const mem = report.memory
  const overhead = mem && statedOverheadBytes()
  const half = mem?.rssSeries.find((p) => p.products >= mem.products / 2)
  const growth = mem && half ? mem.afterFillRssBytes / half.rssBytes - 1 : undefined
  return [
    {
      target: `RSS with 100,000 cached products <= CACHE_MEMORY_MAX_BYTES + the stated fixed overhead${overhead ? ` (V8 heap cap + ${NATIVE_OVERHEAD_MIB} MiB = ${f(overhead / 1_048_576, 0)} MiB)` : ''}`,
      measured:
        mem && overhead
          ? `${f(mem.afterFillRssBytes / 1_048_576)} MiB vs ${f((mem.cacheMemoryMaxBytes + overhead) / 1_048_576)} MiB (${mem.products} products; ${f(mem.startupRssBytes / 1_048_576)} MiB at start-up)`
          : 'not measured (no heap cap given to the API)',
      pass: mem && overhead ? mem.afterFillRssBytes <= mem.cacheMemoryMaxBytes + overhead : undefined,
    },
    {
      target: 'RSS flat once the cache is full: growth over the second half of the fill <= 5%',
      measured:
        mem && half && growth !== undefined
          ? `${f(growth * 100)}% (${f(half.rssBytes / 1_048_576)} MiB at ${half.products} products, ${f(mem.afterFillRssBytes / 1_048_576)} MiB at ${mem.products})`
          : 'not measured',
      pass: growth === undefined ? undefined : growth <= 0.05,
    },
  ]
}

/** The original design's promises. */
function designChecks(report: SuiteReport, by: Scenarios, size: SuiteSizes): Check[] {
  const aU = by.get('a-uncached')
  const u = report.uncached
  const uTitle = by.get('u-title')
  const b = by.get('b')
  const d = by.get('d')
  const api = report.scenarios.filter((s) => s.id !== 'e')
  const total = api.reduce((sum, s) => sum + s.requests, 0)
  const failures = api.reduce((sum, s) => sum + s.errors + s.non2xx, 0)
  return [
    {
      target: 'Design: uncached 100-200 req/s at 100-200 ms',
      measured: aU
        ? `${f(aU.reqPerSec, 0)} req/s at c=${size.aConnections} (p50 ${f(aU.latency.p50, 0)} ms); p50 ${u ? f(u.p50Ms, 0) : '?'} ms with keywords, ${uTitle ? f(uTitle.latency.p50, 0) : '?'} ms without, at c=${size.probeConnections}`
        : 'not measured',
      pass: aU && u ? aU.reqPerSec >= 100 && u.p50Ms <= 200 && (uTitle?.latency.p50 ?? 0) <= 200 : undefined,
    },
    {
      target: 'Design: cached 500-1,000 req/s at p95 40-60 ms',
      measured: b ? `${f(b.reqPerSec, 0)} req/s at p95 ${f(b.latency.p95, 2)} ms (b)` : 'not measured',
      pass: b ? b.reqPerSec >= 500 && b.latency.p95 <= 60 : undefined,
    },
    { target: 'Design: hit rate 90%+', measured: d?.hitRate === undefined ? 'not measured' : `${f(d.hitRate * 100)}%`, pass: d?.hitRate === undefined ? undefined : d.hitRate >= 0.9 },
    {
      target: 'Design: failures under 0.1%',
      measured: total > 0 ? `${failures} of ${total} requests (${f((failures / total) * 100, 3)}%)` : 'not measured',
      pass: total > 0 ? failures / total < 0.001 : undefined,
    },
  ]
}
