import { setTimeout as sleep } from 'node:timers/promises'
import type { Sandbox } from '../src/sandbox/index.ts'
import { startApi, startLoadSandbox } from './api-child.ts'
import { type Measure, measurer, type UpstreamCounter, upstreamCounter } from './measure.ts'
import type { SuiteOptions } from './options.ts'
import { type Child, rssBytes } from './processes.ts'
import type { SuiteReport } from './report.ts'
import { BATCH, FULL, QUICK, type SuiteSizes } from './sizes.ts'
import { ID_RANGES, ids, validationPath, warm } from './traffic.ts'

// What every step of the suite works with: the API under test (a child of this process with its
// own sandbox upstreams, or an external URL), the report it adds to, and the warmed products.

export type Cleanup = () => Promise<void>

/** The API child and its sandbox, when the suite started them itself. */
export interface LocalTarget {
  sandbox: Sandbox
  api: Child
  startupRssBytes: number
}

export interface WarmSet {
  ids: string[]
  paths: string[]
  /** caches the products once, the first time a step needs them */
  ensure(): Promise<void>
}

export interface SuiteContext {
  options: SuiteOptions
  size: SuiteSizes
  report: SuiteReport
  log: (line: string) => void
  baseUrl: string
  local?: LocalTarget
  measure: Measure
  upstream: UpstreamCounter
  /** the servers whose CPU time each scenario reads, by url */
  serverPids: Map<string, number>
  warm: WarmSet
  /** run in reverse when the suite ends, whatever happened */
  cleanups: Cleanup[]
}

export async function openSuite(options: SuiteOptions, report: SuiteReport, cleanups: Cleanup[]): Promise<SuiteContext> {
  const local = options.url ? undefined : await startLocalTarget(options, report, cleanups)
  const baseUrl = report.target.url
  const serverPids = new Map<string, number>(local ? [[local.api.url, local.api.pid]] : [])
  const upstream = upstreamCounter(local?.sandbox)
  const size = options.quick ? QUICK : FULL
  const { log } = options
  const measure = measurer({ report, log, upstream, serverPids, api: local?.api })
  return { options, size, report, log, baseUrl, local, measure, upstream, serverPids, warm: warmSet(baseUrl, size.warmIds, log), cleanups }
}

async function startLocalTarget(options: SuiteOptions, report: SuiteReport, cleanups: Cleanup[]): Promise<LocalTarget> {
  const { log } = options
  const sandbox = await startLoadSandbox()
  cleanups.push(() => sandbox.close())
  report.target.sandboxLatencyMs = {
    aliexpress: sandbox.aliexpress.behaviour.latencyMs,
    facebook: sandbox.facebook.behaviour.latencyMs,
    youtube: sandbox.youtube.behaviour.latencyMs,
  }
  log(`sandbox: AliExpress ${sandbox.aliexpress.url}, Meta ${sandbox.facebook.url}, YouTube ${sandbox.youtube.url}`)
  const api = await startApi(sandbox, options)
  cleanups.push(() => api.stop())
  report.target.url = api.url
  // Let start-up allocation settle before calling it the fixed overhead.
  await sleep(1_000)
  const startupRssBytes = await rssBytes(api.pid)
  log(`API child pid ${api.pid} at ${api.url}, RSS after start-up ${(startupRssBytes / 1_048_576).toFixed(1)} MiB`)
  return { sandbox, api, startupRssBytes }
}

function warmSet(baseUrl: string, count: number, log: (line: string) => void): WarmSet {
  const products = ids(ID_RANGES.warm, count)
  let warmed = false
  return {
    ids: products,
    paths: products.map(validationPath),
    async ensure() {
      if (warmed) return
      log(`warming ${products.length} products (batches of ${BATCH}, then one GET each)`)
      await warm(baseUrl, products)
      warmed = true
    },
  }
}
