import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Behaviour } from '../src/sandbox/behaviour.ts'
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts'
import { type LoadOptions, runLoad } from './load.ts'
import { type Child, cpuMs, freePort, ROOT, rssBytes, spawnNode } from './processes.ts'
import { type CpuProfile, topSelfTime } from './profile.ts'
import { type Check, latencySvg, type MemoryBreakdown, markdownReport, type ScenarioResult, type SuiteReport, type UpstreamCalls } from './report.ts'
import { criticalPath, slowestSourceMs, summarize } from './stats.ts'
import { chunks, ID_RANGES, ids, pool, postBatch, validationPath, warm } from './traffic.ts'
import { idealHitRate, zipfSampler } from './zipf.ts'

// The load suite: starts the sandbox upstreams here (to count their calls and set their latency),
// the API and the bare Fastify baseline as child processes, runs each scenario with autocannon in
// this process, and writes latest.json, latest.md and latency.svg.

export type ScenarioGroup = 'a' | 'b' | 'c' | 'd' | 'e' | 'p'
export const ALL_GROUPS: readonly ScenarioGroup[] = ['a', 'b', 'c', 'd', 'e', 'p']

export interface SuiteOptions {
  groups: ReadonlySet<ScenarioGroup>
  /** seconds of the timed runs: (b), (e) and the profile */
  durationS: number
  quick: boolean
  /** an already running API instead of a child; no sandbox, memory or profile then */
  url?: string
  outDir: string
  command: string
  /** persistence into this PostgreSQL; off without it */
  databaseUrl?: string
  cacheMemoryMaxBytes: number
  log: (line: string) => void
}

const FULL = {
  aConnections: 1000,
  aAmount: 10_000,
  warmIds: 1000,
  probeRequests: 300,
  probeConnections: 10,
  batchesSequential: 5,
  batchesConcurrent: 4,
  zipfProducts: 10_000,
  zipfRequests: 200_000,
  fillProducts: 100_000,
  /** req/s of the equal-load runs (b-rate, e-rate): well under either server's capacity here */
  fixedRate: 5_000,
}
const QUICK: typeof FULL = {
  aConnections: 100,
  aAmount: 1000,
  warmIds: 100,
  probeRequests: 30,
  probeConnections: 5,
  batchesSequential: 2,
  batchesConcurrent: 2,
  zipfProducts: 10_000,
  zipfRequests: 5_000,
  fillProducts: 2_000,
  fixedRate: 1_000,
}

const B_CONNECTIONS = 100
const FEW_CONNECTIONS = 10
const BATCH = 50

export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const size = options.quick ? QUICK : FULL
  const { log } = options
  const started = new Date()
  const startLoad = loadavg()[0]!
  const cleanups: (() => Promise<void>)[] = []
  const report: SuiteReport = {
    revision: revision(),
    startedAt: started.toISOString(),
    finishedAt: '',
    command: options.command,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: totalmem() / 2 ** 30,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    target: {
      url: options.url ?? '',
      mode: options.url ? 'external' : 'child',
      persistence: options.url ? 'as configured there' : options.databaseUrl ? 'on (PostgreSQL at DATABASE_URL)' : 'off',
      ...(options.url ? {} : { cacheMemoryMaxBytes: options.cacheMemoryMaxBytes }),
    },
    scenarios: [],
    checks: [],
    notes: [],
  }

  try {
    let sandbox: Sandbox | undefined
    let apiChild: Child | undefined
    let startupRss: number | undefined
    if (!options.url) {
      sandbox = await startLoadSandbox()
      const sb = sandbox
      cleanups.push(() => sb.close())
      report.target.sandboxLatencyMs = {
        aliexpress: sb.aliexpress.behaviour.latencyMs,
        facebook: sb.facebook.behaviour.latencyMs,
        youtube: sb.youtube.behaviour.latencyMs,
      }
      log(`sandbox: AliExpress ${sb.aliexpress.url}, Meta ${sb.facebook.url}, YouTube ${sb.youtube.url}`)
      apiChild = await startApi(sb, options)
      const child = apiChild
      cleanups.push(() => child.stop())
      report.target.url = child.url
      // Let start-up allocation settle before calling it the fixed overhead.
      await sleep(1_000)
      startupRss = await rssBytes(child.pid)
      log(`API child pid ${child.pid} at ${child.url}, RSS after start-up ${(startupRss / 1_048_576).toFixed(1)} MiB`)
    }
    const baseUrl = report.target.url
    // The servers whose CPU time each scenario reads: the API child and the baseline.
    const serverPids = new Map<string, number>(apiChild ? [[apiChild.url, apiChild.pid]] : [])
    const upstream = (): UpstreamCalls | undefined =>
      sandbox && { aliexpress: sandbox.aliexpress.totalCalls(), facebook: sandbox.facebook.totalCalls(), youtube: sandbox.youtube.totalCalls() }
    const since = (before: UpstreamCalls | undefined): UpstreamCalls | undefined => {
      const now = upstream()
      return before && now && { aliexpress: now.aliexpress - before.aliexpress, facebook: now.facebook - before.facebook, youtube: now.youtube - before.youtube }
    }
    const measure = async (id: string, title: string, settings: string, load: Omit<LoadOptions, 'label' | 'log'>): Promise<ScenarioResult> => {
      log(`--- ${id}: ${title} (${settings})`)
      const before = upstream()
      const serverPid = serverPids.get(load.baseUrl)
      const serverCpuBefore = serverPid === undefined ? undefined : await cpuMs(serverPid)
      const driverCpuBefore = process.cpuUsage()
      const wallStarted = performance.now()
      const outcome = await runLoad({ ...load, label: id, log })
      const wallMs = performance.now() - wallStarted
      const driverCpu = process.cpuUsage(driverCpuBefore)
      const serverCpu = serverPid === undefined || serverCpuBefore === undefined ? undefined : (await cpuMs(serverPid)) - serverCpuBefore
      const xCache = outcome.xCache
      const answered = xCache ? Object.entries(xCache).reduce((sum, [k, v]) => (k === 'none' ? sum : sum + v), 0) : 0
      const result: ScenarioResult = {
        id,
        title,
        settings,
        requests: outcome.requests,
        durationS: outcome.durationS,
        reqPerSec: outcome.reqPerSec,
        latency: outcome.latency,
        errors: outcome.errors,
        timeouts: outcome.timeouts,
        non2xx: outcome.non2xx,
        ...(xCache ? { xCache, hitRate: answered > 0 ? ((xCache.HIT ?? 0) + (xCache.STALE ?? 0)) / answered : 0 } : {}),
        ...(before ? { upstream: since(before) } : {}),
        driverBusy: (driverCpu.user + driverCpu.system) / 1000 / wallMs,
        ...(serverCpu === undefined ? {} : { serverBusy: serverCpu / wallMs, serverCpuUsPerRequest: (serverCpu * 1000) / Math.max(1, outcome.requests) }),
      }
      if (apiChild && load.baseUrl === apiChild.url) result.apiRssBytes = await rssBytes(apiChild.pid)
      if (outcome.non2xx > 0) log(`${id}: status codes ${JSON.stringify(outcome.statusCodes)}`)
      log(
        `${id}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(2)} ms, p95 ${result.latency.p95.toFixed(2)}, p99 ${result.latency.p99.toFixed(2)}, errors ${result.errors}, non-2xx ${result.non2xx}` +
          (xCache ? `, X-Cache ${JSON.stringify(xCache)}` : ''),
      )
      report.scenarios.push(result)
      return result
    }
    const cycle = (paths: readonly string[]) => {
      let i = 0
      return () => paths[i++ % paths.length]!
    }

    const warmIds = ids(ID_RANGES.warm, size.warmIds)
    let warmed = false
    const ensureWarm = async () => {
      if (warmed) return
      log(`warming ${warmIds.length} products (batches of ${BATCH}, then one GET each)`)
      await warm(baseUrl, warmIds)
      warmed = true
    }
    const warmPaths = warmIds.map(validationPath)

    if (options.groups.has('a')) {
      // Uncached latency at low concurrency: each request a product nobody asked for yet, with its
      // own search words as keywords (Meta and YouTube answers are cached by search words), so it
      // waits for all three upstreams, asked at once, but not for a queue.
      const probe = ids(ID_RANGES.uncachedLatency, size.probeRequests + 10)
      const probePath = (id: string, i: number) => `${validationPath(id)}?keywords=${encodeURIComponent(`led lamp probe${i}`)}`
      await pool(probe.slice(0, 10), 10, async (id, i) => (await fetch(`${baseUrl}${probePath(id, i)}`)).arrayBuffer())
      const u = await measure('u', 'uncached GET, latency probe', `c=${size.probeConnections}, ${size.probeRequests} distinct products and search words`, {
        baseUrl,
        connections: size.probeConnections,
        amount: size.probeRequests,
        nextPath: cycle(probe.slice(10).map((id, i) => probePath(id, i + 10))),
        countXCache: true,
      })
      if (sandbox) {
        const path = criticalPath({ aliexpress: sandbox.aliexpress.behaviour, facebook: sandbox.facebook.behaviour, youtube: sandbox.youtube.behaviour })
        report.uncached = { p50Ms: u.latency.p50, criticalNominalMs: path.nominalMs, criticalMedianMs: path.medianMs }
      }
      // The same without keywords, as most callers ask: the terms come from the AliExpress title, so
      // Meta and YouTube wait for it, unless another product's title gave the same terms already.
      const byTitle = ids(ID_RANGES.uncachedLatency + size.probeRequests + 10, size.probeRequests)
      await measure('u-title', 'uncached GET, terms from the title', `c=${size.probeConnections}, ${size.probeRequests} distinct products, no keywords`, {
        baseUrl,
        connections: size.probeConnections,
        amount: size.probeRequests,
        nextPath: cycle(byTitle.map(validationPath)),
        countXCache: true,
      })

      const uncached = ids(ID_RANGES.uncached, size.aAmount)
      await measure(
        'a-uncached',
        'uncached GET, 1,000 x 10',
        `c=${size.aConnections}, ${size.aAmount / size.aConnections} requests each, ${size.aAmount} distinct products`,
        { baseUrl, connections: size.aConnections, amount: size.aAmount, nextPath: cycle(uncached.map(validationPath)), countXCache: true, timeoutS: 30 },
      )
      await ensureWarm()
      await measure(
        'a-cached',
        'cached GET, 1,000 x 10',
        `c=${size.aConnections}, ${size.aAmount / size.aConnections} requests each, ${warmIds.length} warmed products x 10`,
        { baseUrl, connections: size.aConnections, amount: warmIds.length * 10, nextPath: cycle(warmPaths), countXCache: true },
      )
    }

    if (options.groups.has('e') || options.groups.has('b')) await ensureWarm()
    if (options.groups.has('e')) {
      // The exact bytes the API serves for a cached product (identity, as autocannon asks for).
      const res = await fetch(`${baseUrl}${warmPaths[0]}`)
      const body = Buffer.from(await res.arrayBuffer())
      if (res.status !== 200 || res.headers.get('x-cache') !== 'HIT') throw new Error(`expected a cached 200, got ${res.status} ${res.headers.get('x-cache')}`)
      const bodyFile = join(tmpdir(), `dropforge-baseline-${process.pid}.json`)
      await writeFile(bodyFile, body)
      cleanups.push(() => rm(bodyFile, { force: true }))
      const baseline = await spawnNode({ script: 'loadtest/baseline.ts', port: await freePort(), env: { BASELINE_BODY_FILE: bodyFile } })
      serverPids.set(baseline.url, baseline.pid)
      try {
        await measure('e', 'baseline: bare Fastify, same bytes', `c=${B_CONNECTIONS}, p=1, ${options.durationS} s, ${body.length} B body`, {
          baseUrl: baseline.url,
          connections: B_CONNECTIONS,
          durationS: options.durationS,
          nextPath: cycle(warmPaths),
        })
        await measure('e-c10', 'baseline, 10 connections', `c=${FEW_CONNECTIONS}, p=1, ${options.durationS} s`, {
          baseUrl: baseline.url,
          connections: FEW_CONNECTIONS,
          durationS: options.durationS,
          nextPath: cycle(warmPaths),
        })
        await measure('e-rate', 'baseline at a fixed rate', `c=${B_CONNECTIONS}, ${size.fixedRate} req/s, ${options.durationS} s`, {
          baseUrl: baseline.url,
          connections: B_CONNECTIONS,
          durationS: options.durationS,
          overallRate: size.fixedRate,
          nextPath: cycle(warmPaths),
        })
        if (options.groups.has('a')) {
          await measure('e-1000', 'baseline under the 1,000 x 10 settings', `c=${size.aConnections}, ${size.aAmount / size.aConnections} requests each`, {
            baseUrl: baseline.url,
            connections: size.aConnections,
            amount: warmIds.length * 10,
            nextPath: cycle(warmPaths),
          })
        }
      } finally {
        await baseline.stop()
      }
    }
    if (options.groups.has('b')) {
      await measure('b', 'cached GET, full stack', `c=${B_CONNECTIONS}, p=1, ${options.durationS} s, ${warmIds.length} products`, {
        baseUrl,
        connections: B_CONNECTIONS,
        durationS: options.durationS,
        nextPath: cycle(warmPaths),
      })
      // Closed-loop latency at 100 connections is connections / throughput (Little's law): mostly
      // queueing on this machine. Ten connections show what one request costs when it barely queues.
      // (autocannon's fixed-rate mode sends each second's budget in one burst, so it is no help for
      // latency.) It is for cost: at a rate below both servers' capacity neither they nor the load
      // generator saturate, and the CPU each spends per request is the fairest comparison with the
      // baseline on shared cores.
      await measure('b-rate', 'cached GET, full stack, fixed rate', `c=${B_CONNECTIONS}, ${size.fixedRate} req/s, ${options.durationS} s`, {
        baseUrl,
        connections: B_CONNECTIONS,
        durationS: options.durationS,
        overallRate: size.fixedRate,
        nextPath: cycle(warmPaths),
      })
      await measure('b-c10', 'cached GET, full stack, 10 connections', `c=${FEW_CONNECTIONS}, p=1, ${options.durationS} s, ${warmIds.length} products`, {
        baseUrl,
        connections: FEW_CONNECTIONS,
        durationS: options.durationS,
        nextPath: cycle(warmPaths),
      })
    }

    if (options.groups.has('c')) {
      log(`--- c: batches of ${BATCH} cold products, ${size.batchesSequential} one after another, then ${size.batchesConcurrent} at once`)
      const before = upstream()
      let next = ID_RANGES.batches
      const take = () => {
        const batch = ids(next, BATCH)
        next += BATCH
        return batch
      }
      const sequential = []
      for (let i = 0; i < size.batchesSequential; i++) {
        sequential.push(await postBatch(baseUrl, take()))
        log(`[c] sequential batch ${i + 1}: ${sequential.at(-1)!.ms.toFixed(0)} ms`)
      }
      const sequentialCalls = since(before)
      const concurrentBefore = upstream()
      const concurrentStarted = performance.now()
      const concurrent = await Promise.all(Array.from({ length: size.batchesConcurrent }, () => postBatch(baseUrl, take())))
      const concurrentWall = (performance.now() - concurrentStarted) / 1000
      log(`[c] ${size.batchesConcurrent} concurrent batches: ${concurrent.map((b) => b.ms.toFixed(0)).join(', ')} ms`)
      const all = [...sequential, ...concurrent]
      const concurrentCalls = since(concurrentBefore)
      const row = (id: string, title: string, settings: string, outcomes: typeof all, seconds: number): ScenarioResult => ({
        id,
        title,
        settings,
        requests: outcomes.length,
        durationS: seconds,
        reqPerSec: outcomes.length / seconds,
        latency: summarize(outcomes.map((o) => o.ms)),
        errors: 0,
        timeouts: 0,
        non2xx: outcomes.filter((o) => o.status !== 200).length,
      })
      report.scenarios.push(
        {
          ...row('c-seq', 'POST batch of 50, one at a time', `${size.batchesSequential} batches of ${BATCH} cold products`, sequential, sequential.reduce((s, o) => s + o.ms, 0) / 1000),
          ...(sequentialCalls ? { upstream: sequentialCalls } : {}),
        },
        {
          ...row('c-conc', 'POST batch of 50, concurrent', `${size.batchesConcurrent} batches of ${BATCH} cold products at once`, concurrent, concurrentWall),
          ...(concurrentCalls ? { upstream: concurrentCalls } : {}),
        },
      )
      report.batches = {
        sequentialMs: sequential.map((o) => o.ms),
        concurrentMs: concurrent.map((o) => o.ms),
        concurrency: size.batchesConcurrent,
        size: BATCH,
        failedItems: all.reduce((s, o) => s + o.failed, 0),
      }
    }

    if (options.groups.has('d')) {
      const sample = zipfSampler(size.zipfProducts, 1.0, 'zipf-mix')
      const ranks = Array.from({ length: size.zipfRequests }, sample)
      const catalogue = ids(ID_RANGES.zipf, size.zipfProducts).map(validationPath)
      const paths = ranks.map((r) => catalogue[r]!)
      const ideal = idealHitRate(ranks)
      const d = await measure(
        'd',
        'Zipf(1.0) GET mix, cold start',
        `c=${B_CONNECTIONS}, ${size.zipfRequests} requests over ${size.zipfProducts} products`,
        { baseUrl, connections: B_CONNECTIONS, amount: size.zipfRequests, nextPath: cycle(paths), countXCache: true, timeoutS: 30 },
      )
      report.notes.push(
        `Zipf run: ${new Set(ranks).size} distinct products among ${size.zipfRequests} requests, so no cache can beat a ${(ideal * 100).toFixed(1)}% hit rate on this sequence; measured ${((d.hitRate ?? 0) * 100).toFixed(1)}%.`,
      )
      if (sandbox && apiChild && startupRss !== undefined) {
        report.memory = await fillCache(baseUrl, sandbox, apiChild, size.fillProducts, startupRss, options.cacheMemoryMaxBytes, log)
      }
    }

    if (options.groups.has('p') && sandbox) {
      report.profile = await profileCachedPath(sandbox, options, size.warmIds, log)
    }

    // Each API run against the baseline run with the same settings.
    for (const [api, base] of [['b', 'e'], ['b-c10', 'e-c10'], ['b-rate', 'e-rate'], ['a-cached', 'e-1000']] as const) {
      const a = report.scenarios.find((s) => s.id === api)
      const b = report.scenarios.find((s) => s.id === base)
      if (a && b) a.ratioToBaseline = a.reqPerSec / b.reqPerSec
    }
    const b = report.scenarios.find((s) => s.id === 'b')
    const e = report.scenarios.find((s) => s.id === 'e')
    if (b?.serverCpuUsPerRequest && e?.serverCpuUsPerRequest && b.serverBusy !== undefined && e.serverBusy !== undefined) {
      // Throughput is set by whichever of server and load generator saturates first; CPU per request is not.
      report.notes.push(
        `Cached GET: the API used ${b.serverCpuUsPerRequest.toFixed(1)} µs of CPU per request, the bare baseline ${e.serverCpuUsPerRequest.toFixed(1)} µs (ratio ${(e.serverCpuUsPerRequest / b.serverCpuUsPerRequest).toFixed(2)}). ` +
          `Busy (cores): API ${b.serverBusy.toFixed(2)} with the load generator at ${b.driverBusy?.toFixed(2)}; baseline ${e.serverBusy.toFixed(2)} with the load generator at ${e.driverBusy?.toFixed(2)}. ` +
          `A load generator near 1.0 was the bottleneck of that run, so its req/s understates the server's capacity.`,
      )
    }
    report.checks = checks(report, size)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`cleanup failed: ${String(err)}`))
  }
  report.finishedAt = new Date().toISOString()
  // Anything else running on the machine skews every figure: keep the evidence with them.
  report.notes.push(`Load average (1 min) at the start ${startLoad.toFixed(2)}, at the end ${loadavg()[0]!.toFixed(2)}.`)
  await writeResults(report, options.outDir)
  return report
}

/**
 * The three sandbox upstreams at their default (realistic) latencies, with their quotas out of the
 * way: the suite measures the API, not Meta's hourly app budget (200 calls in the sandbox, after
 * which the client pauses Meta and validations come back degraded with a 60 s TTL) or YouTube's
 * daily search limit.
 */
export async function startLoadSandbox(): Promise<Sandbox> {
  return startSandbox({ facebookAppCallBudget: 1_000_000_000, youtubeSearchDailyLimit: 1_000_000_000 })
}

function revision(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim()
    return dirty ? `${commit} with uncommitted changes (${dirty.split('\n').length} files)` : commit
  } catch {
    return 'unknown revision'
  }
}

/** The environment of an API child in production mode against these sandbox upstreams, quotas out of the way. */
export function sandboxApiEnv(sandbox: Sandbox): Record<string, string> {
  return {
    SANDBOX: 'true',
    // The AliExpress sandbox's url already ends in its /sync gateway path.
    ALIEXPRESS_API_URL: sandbox.aliexpress.url,
    FACEBOOK_GRAPH_URL: sandbox.facebook.url,
    YOUTUBE_API_URL: sandbox.youtube.url,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // One process, its own memory cache: a REDIS_URL inherited from the shell (CI sets one) would
    // put a network round trip into every figure and leave keys behind in a shared Redis.
    REDIS_URL: '',
    // High enough never to answer 429, low-level enough that the plugin still runs on every request.
    RATE_LIMIT_MAX: '1000000000',
    YOUTUBE_SEARCH_DAILY_LIMIT: '1000000',
    YOUTUBE_DAILY_QUOTA: '100000000',
  }
}

function apiEnv(sandbox: Sandbox, options: SuiteOptions): Record<string, string> {
  return {
    ...sandboxApiEnv(sandbox),
    // For the memory breakdown, read from /metrics.
    ADMIN_API_KEY: ADMIN_KEY,
    CACHE_MEMORY_MAX_BYTES: String(options.cacheMemoryMaxBytes),
    ...(options.databaseUrl ? { PERSISTENCE: 'on', DATABASE_URL: options.databaseUrl } : { PERSISTENCE: 'off' }),
  }
}

const ADMIN_KEY = randomBytes(24).toString('base64url')

/**
 * The memory the API may use beyond its cache bound: the old generation V8 may reserve
 * (--max-old-space-size; the cache's entries live inside it, so this counts them twice) plus the young
 * generation, code, native libraries and Buffers outside the cache. Derived from the configuration,
 * not fitted to a run; undefined when the API runs without a heap cap.
 */
const NATIVE_OVERHEAD_MIB = 128

function statedOverheadBytes(): number | undefined {
  const cap = /--max-old-space-size=(\d+)/.exec(apiNodeOptions().join(' '))
  return cap ? (Number(cap[1]) + NATIVE_OVERHEAD_MIB) * 1_048_576 : undefined
}

function apiNodeOptions(): string[] {
  return (process.env.LOADTEST_API_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS).split(/\s+/).filter(Boolean)
}

/** Keep in step with NODE_OPTIONS in the Dockerfile. */
export const PRODUCTION_NODE_OPTIONS = '--max-old-space-size=384 --max-semi-space-size=16'

async function startApi(sandbox: Sandbox, options: SuiteOptions, nodeArgs: string[] = []): Promise<Child> {
  // The API runs with the heap cap production uses (Dockerfile NODE_OPTIONS); LOADTEST_API_NODE_OPTIONS
  // replaces it for the API child only.
  return spawnNode({ script: 'src/server.ts', port: await freePort(), env: apiEnv(sandbox, options), nodeArgs: [...apiNodeOptions(), ...nodeArgs] })
}

/**
 * 100,000 distinct products cached through the batch endpoint with the sandbox answering in ~1 ms
 * (the latency is not what is measured here), then the API's RSS against the configured bound.
 */
async function fillCache(
  baseUrl: string,
  sandbox: Sandbox,
  api: Child,
  products: number,
  startupRssBytes: number,
  cacheMemoryMaxBytes: number,
  log: (line: string) => void,
): Promise<NonNullable<SuiteReport['memory']>> {
  log(`--- d-memory: caching ${products} distinct products in batches of ${BATCH}`)
  const beforeFillRssBytes = await rssBytes(api.pid)
  const servers = [sandbox.aliexpress, sandbox.facebook, sandbox.youtube]
  const saved: Behaviour[] = servers.map((s) => ({ ...s.behaviour }))
  for (const s of servers) s.setBehaviour({ latencyMs: 1, jitterMs: 0 })
  const started = performance.now()
  let done = 0
  let failed = 0
  // RSS at every tenth of the fill: once the cache is full, a fixed overhead shows as a plateau.
  const rssSeries: { products: number; rssBytes: number }[] = []
  const step = Math.max(BATCH, Math.floor(products / 10))
  let nextSample = step
  const ticker = setInterval(() => log(`[d-memory] ${done}/${products} products, ${failed} failed`), 1_000)
  try {
    await pool(chunks(ids(ID_RANGES.fill, products), BATCH), 16, async (batch) => {
      const outcome = await postBatch(baseUrl, batch)
      done += batch.length
      failed += outcome.failed
      if (done >= nextSample) {
        nextSample += step
        rssSeries.push({ products: done, rssBytes: await rssBytes(api.pid) })
      }
    })
  } finally {
    clearInterval(ticker)
    servers.forEach((s, i) => {
      s.behaviour = saved[i]!
    })
  }
  const fillSeconds = (performance.now() - started) / 1000
  await sleep(2_000)
  const afterFillRssBytes = await rssBytes(api.pid)
  const peakRssBytes = await rssBytes(api.pid, 'VmHWM')
  const breakdown = await memoryBreakdown(baseUrl)
  log(`[d-memory] ${products} products in ${fillSeconds.toFixed(0)} s (${failed} failed); RSS ${(afterFillRssBytes / 1_048_576).toFixed(1)} MiB`)
  if (failed > 0) throw new Error(`the cache fill had ${failed} failed items`)
  return { products, fillSeconds, startupRssBytes, beforeFillRssBytes, afterFillRssBytes, peakRssBytes, cacheMemoryMaxBytes, breakdown, rssSeries }
}

/** Where the API's memory is, from its own /metrics: V8 heap, memory outside it, and what the caches count. */
async function memoryBreakdown(baseUrl: string): Promise<MemoryBreakdown> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { 'x-admin-key': ADMIN_KEY } })
  const text = await res.text()
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`)
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `))
    if (!line) throw new Error(`/metrics has no ${series}`)
    return Number(line.slice(series.length + 1))
  }
  return {
    heapTotalBytes: value('nodejs_heap_size_total_bytes'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
    externalBytes: value('nodejs_external_memory_bytes'),
    cacheEntriesBytes: value('dropforge_cache_bytes{layer="entries"}'),
    cachePreparedBytes: value('dropforge_cache_bytes{layer="prepared"}'),
  }
}

/** A separate API child under `--cpu-prof`, warmed, then loaded like (b). */
async function profileCachedPath(sandbox: Sandbox, options: SuiteOptions, warmCount: number, log: (line: string) => void) {
  const dir = join(options.outDir, 'cpu.tmp')
  await mkdir(dir, { recursive: true })
  const durationS = Math.min(options.durationS, 20)
  const child = await startApi(sandbox, options, ['--cpu-prof', '--cpu-prof-dir', dir])
  const startedAt = Date.now()
  let rps = 0
  let loadStarted = 0
  try {
    const products = ids(ID_RANGES.profile, warmCount)
    await warm(child.url, products)
    // A quiet gap, so the summarised window starts after the warming for sure.
    await sleep(1_000)
    log(`--- p: CPU profile of the cached GET (${durationS} s)`)
    const paths = products.map(validationPath)
    let i = 0
    loadStarted = performance.now()
    const outcome = await runLoad({ label: 'p', log, baseUrl: child.url, connections: B_CONNECTIONS, durationS, nextPath: () => paths[i++ % paths.length]! })
    rps = outcome.reqPerSec
  } finally {
    await child.stop()
  }
  const loadAndExitMs = performance.now() - loadStarted
  const written = []
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.cpuprofile')) continue
    const info = await stat(join(dir, name))
    if (info.mtimeMs >= startedAt) written.push({ name, mtime: info.mtimeMs })
  }
  const newest = written.sort((a, b) => b.mtime - a.mtime)[0]
  if (!newest) throw new Error('the profiled API child wrote no .cpuprofile')
  const file = join(dir, newest.name)
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  log(`[p] ${rps.toFixed(0)} req/s under the profiler; profile ${file}`)
  // The profile covers the child's whole life; only the load (and its short shutdown) is summarised.
  return { file: file.slice(ROOT.length), durationS, reqPerSec: rps, top: topSelfTime(profile, { limit: 12, root: ROOT, lastMs: loadAndExitMs }) }
}

function checks(report: SuiteReport, size: typeof FULL): Check[] {
  const by = new Map(report.scenarios.map((s) => [s.id, s]))
  const out: Check[] = []
  const f = (v: number, digits = 1) => v.toFixed(digits)
  const b = by.get('b')
  out.push({
    target: 'Cached GET (b) >= 0.85x the bare Fastify baseline (e)',
    measured: b?.ratioToBaseline === undefined ? 'not measured' : `${f(b.ratioToBaseline, 2)}x (${f(b.reqPerSec, 0)} vs ${f(by.get('e')!.reqPerSec, 0)} req/s)`,
    pass: b?.ratioToBaseline === undefined ? undefined : b.ratioToBaseline >= 0.85,
  })
  const bRate = by.get('b-rate')
  const eRate = by.get('e-rate')
  const cpuRatio = bRate?.serverCpuUsPerRequest && eRate?.serverCpuUsPerRequest ? eRate.serverCpuUsPerRequest / bRate.serverCpuUsPerRequest : undefined
  out.push({
    target: 'The same, read as CPU per request at an equal fixed rate (b-rate vs e-rate): baseline CPU / API CPU >= 0.85',
    measured:
      cpuRatio === undefined ? 'not measured' : `${f(cpuRatio, 2)}x (${f(bRate!.serverCpuUsPerRequest!)} vs ${f(eRate!.serverCpuUsPerRequest!)} µs per request at ${f(bRate!.reqPerSec, 0)} req/s)`,
    pass: cpuRatio === undefined ? undefined : cpuRatio >= 0.85,
  })
  out.push({ target: 'Cached GET (b) p99 <= 10 ms at 100 connections', measured: b ? `${f(b.latency.p99, 2)} ms` : 'not measured', pass: b ? b.latency.p99 <= 10 : undefined })
  const aU = by.get('a-uncached')
  const aC = by.get('a-cached')
  out.push({
    target: '1,000 x 10: zero errors and zero non-2xx (uncached and cached)',
    measured: aU && aC ? `uncached ${aU.errors} errors, ${aU.non2xx} non-2xx; cached ${aC.errors} errors, ${aC.non2xx} non-2xx` : 'not measured',
    pass: aU && aC ? aU.errors + aU.non2xx + aC.errors + aC.non2xx === 0 : undefined,
  })
  out.push({ target: '1,000 x 10 cached: p95 <= 50 ms', measured: aC ? `${f(aC.latency.p95)} ms` : 'not measured', pass: aC ? aC.latency.p95 <= 50 : undefined })
  const lat = report.target.sandboxLatencyMs
  const u = report.uncached
  const uTitle = by.get('u-title')
  const slowest = lat ? Math.max(lat.aliexpress, lat.facebook, lat.youtube) : undefined
  out.push({
    target: `Uncached p50 <= slowest upstream latency + 15 ms${slowest ? ` (${slowest + 15} ms; cannot hold: YouTube alone is two calls in a row)` : ''}`,
    measured: u ? `${f(u.p50Ms, 0)} ms` : 'not measured',
    pass: u && slowest ? u.p50Ms <= slowest + 15 : undefined,
  })
  out.push({
    target: 'Uncached p50 <= upstream critical path + 15 ms, the slowest source with caller keywords (our reading of the target)',
    measured: u ? `${f(u.p50Ms, 0)} ms vs ${f(u.criticalNominalMs, 0)} ms nominal / ${f(u.criticalMedianMs, 0)} ms median with jitter` : 'not measured',
    pass: u ? u.p50Ms <= u.criticalMedianMs + 15 : undefined,
  })
  const batches = report.batches
  out.push({
    target: `Batch of 50 distinct products: wall time <= 2x the slowest upstream latency${slowest ? ` (${2 * slowest} ms)` : ''}`,
    measured: batches ? `max ${f(Math.max(...batches.sequentialMs, ...batches.concurrentMs), 0)} ms (sequential max ${f(Math.max(...batches.sequentialMs), 0)} ms)` : 'not measured',
    pass: batches && slowest ? Math.max(...batches.sequentialMs, ...batches.concurrentMs) <= 2 * slowest : undefined,
  })
  // A cold batch waits for AliExpress (its titles give the search words), then for the slowest source.
  const slowestSource = lat && slowestSourceMs(lat)
  out.push({
    target: `Batch of 50 distinct products: wall time <= 2x the slowest source, YouTube's two calls counted as one source${slowestSource ? ` (${2 * slowestSource} ms; our reading of the target)` : ''}`,
    measured: batches ? `max ${f(Math.max(...batches.sequentialMs, ...batches.concurrentMs), 0)} ms` : 'not measured',
    pass: batches && slowestSource ? Math.max(...batches.sequentialMs, ...batches.concurrentMs) <= 2 * slowestSource : undefined,
  })
  const d = by.get('d')
  out.push({ target: 'Zipf run: hit rate >= 95%', measured: d?.hitRate === undefined ? 'not measured' : `${f(d.hitRate * 100)}% (${size.zipfRequests} requests)`, pass: d?.hitRate === undefined ? undefined : d.hitRate >= 0.95 })
  const mem = report.memory
  const overhead = mem && statedOverheadBytes()
  out.push({
    target: `RSS with 100,000 cached products <= CACHE_MEMORY_MAX_BYTES + the stated fixed overhead${overhead ? ` (V8 heap cap + ${NATIVE_OVERHEAD_MIB} MiB = ${f(overhead / 1_048_576, 0)} MiB)` : ''}`,
    measured:
      mem && overhead
        ? `${f(mem.afterFillRssBytes / 1_048_576)} MiB vs ${f((mem.cacheMemoryMaxBytes + overhead) / 1_048_576)} MiB (${mem.products} products; ${f(mem.startupRssBytes / 1_048_576)} MiB at start-up)`
        : 'not measured (no heap cap given to the API)',
    pass: mem && overhead ? mem.afterFillRssBytes <= mem.cacheMemoryMaxBytes + overhead : undefined,
  })
  const half = mem?.rssSeries.find((p) => p.products >= mem.products / 2)
  const growth = mem && half ? mem.afterFillRssBytes / half.rssBytes - 1 : undefined
  out.push({
    target: 'RSS flat once the cache is full: growth over the second half of the fill <= 5%',
    measured: mem && half && growth !== undefined ? `${f(growth * 100)}% (${f(half.rssBytes / 1_048_576)} MiB at ${half.products} products, ${f(mem.afterFillRssBytes / 1_048_576)} MiB at ${mem.products})` : 'not measured',
    pass: growth === undefined ? undefined : growth <= 0.05,
  })
  // The original design's promises.
  out.push({
    target: 'Design: uncached 100-200 req/s at 100-200 ms',
    measured: aU
      ? `${f(aU.reqPerSec, 0)} req/s at c=${size.aConnections} (p50 ${f(aU.latency.p50, 0)} ms); p50 ${u ? f(u.p50Ms, 0) : '?'} ms with keywords, ${uTitle ? f(uTitle.latency.p50, 0) : '?'} ms without, at c=${size.probeConnections}`
      : 'not measured',
    pass: aU && u ? aU.reqPerSec >= 100 && u.p50Ms <= 200 && (uTitle?.latency.p50 ?? 0) <= 200 : undefined,
  })
  out.push({
    target: 'Design: cached 500-1,000 req/s at p95 40-60 ms',
    measured: b ? `${f(b.reqPerSec, 0)} req/s at p95 ${f(b.latency.p95, 2)} ms (b)` : 'not measured',
    pass: b ? b.reqPerSec >= 500 && b.latency.p95 <= 60 : undefined,
  })
  out.push({ target: 'Design: hit rate 90%+', measured: d?.hitRate === undefined ? 'not measured' : `${f(d.hitRate * 100)}%`, pass: d?.hitRate === undefined ? undefined : d.hitRate >= 0.9 })
  const api = report.scenarios.filter((s) => s.id !== 'e')
  const total = api.reduce((sum, s) => sum + s.requests, 0)
  const failures = api.reduce((sum, s) => sum + s.errors + s.non2xx, 0)
  out.push({
    target: 'Design: failures under 0.1%',
    measured: total > 0 ? `${failures} of ${total} requests (${f((failures / total) * 100, 3)}%)` : 'not measured',
    pass: total > 0 ? failures / total < 0.001 : undefined,
  })
  return out
}

async function writeResults(report: SuiteReport, outDir: string) {
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(outDir, 'latest.md'), markdownReport(report))
  await writeFile(join(outDir, 'latency.svg'), latencySvg(report.scenarios))
}
