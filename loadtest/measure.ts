import type { Sandbox } from '../src/sandbox/index.ts'
import { type LoadOptions, type LoadOutcome, runLoad } from './load.ts'
import { type Child, cpuMs, rssBytes } from './processes.ts'
import type { ScenarioResult, SuiteReport, UpstreamCalls } from './report.ts'

// One scenario run and what the suite records of it: autocannon's outcome, the calls it caused
// upstream, the CPU the server and this process spent, and the API's RSS after it.

export type Measure = (id: string, title: string, settings: string, load: Omit<LoadOptions, 'label' | 'log'>) => Promise<ScenarioResult>

export interface UpstreamCounter {
  /** calls each sandbox upstream has received so far; undefined against an external API */
  now(): UpstreamCalls | undefined
  since(before: UpstreamCalls | undefined): UpstreamCalls | undefined
}

export function upstreamCounter(sandbox: Sandbox | undefined): UpstreamCounter {
  const now = (): UpstreamCalls | undefined =>
    sandbox && { aliexpress: sandbox.aliexpress.totalCalls(), facebook: sandbox.facebook.totalCalls(), youtube: sandbox.youtube.totalCalls() }
  return {
    now,
    since(before) {
      const after = now()
      return before && after && { aliexpress: after.aliexpress - before.aliexpress, facebook: after.facebook - before.facebook, youtube: after.youtube - before.youtube }
    },
  }
}

export interface MeasureContext {
  report: SuiteReport
  log: (line: string) => void
  upstream: UpstreamCounter
  /** the servers whose CPU time a scenario reads, by url: the API child and the baseline */
  serverPids: ReadonlyMap<string, number>
  api?: Child
}

/** Runs a scenario, logs it and appends its result to the report. */
export function measurer(ctx: MeasureContext): Measure {
  return async (id, title, settings, load) => {
    ctx.log(`--- ${id}: ${title} (${settings})`)
    const before = ctx.upstream.now()
    const cpu = await cpuMeter(ctx.serverPids.get(load.baseUrl))
    const outcome = await runLoad({ ...load, label: id, log: ctx.log })
    const busy = await cpu(outcome.requests)
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
      ...cacheFields(outcome.xCache),
      ...(before ? { upstream: ctx.upstream.since(before) } : {}),
      ...busy,
    }
    if (ctx.api && load.baseUrl === ctx.api.url) result.apiRssBytes = await rssBytes(ctx.api.pid)
    logResult(ctx.log, result, outcome)
    ctx.report.scenarios.push(result)
    return result
  }
}

type Busy = Pick<ScenarioResult, 'driverBusy' | 'serverBusy' | 'serverCpuUsPerRequest'>

/** Starts counting CPU time of the server (when its pid is known) and of this process; the call stops it. */
async function cpuMeter(serverPid: number | undefined): Promise<(requests: number) => Promise<Busy>> {
  const serverCpuBefore = serverPid === undefined ? undefined : await cpuMs(serverPid)
  const driverCpuBefore = process.cpuUsage()
  const wallStarted = performance.now()
  return async (requests) => {
    const wallMs = performance.now() - wallStarted
    const driverCpu = process.cpuUsage(driverCpuBefore)
    const serverCpu = serverPid === undefined || serverCpuBefore === undefined ? undefined : (await cpuMs(serverPid)) - serverCpuBefore
    return {
      driverBusy: (driverCpu.user + driverCpu.system) / 1000 / wallMs,
      ...(serverCpu === undefined ? {} : { serverBusy: serverCpu / wallMs, serverCpuUsPerRequest: (serverCpu * 1000) / Math.max(1, requests) }),
    }
  }
}

/** X-Cache counts and the hit rate among the answers that carried the header. */
function cacheFields(xCache: Record<string, number> | undefined): Pick<ScenarioResult, 'xCache' | 'hitRate'> {
  if (!xCache) return {}
  const answered = Object.entries(xCache).reduce((sum, [k, v]) => (k === 'none' ? sum : sum + v), 0)
  return { xCache, hitRate: answered > 0 ? ((xCache.HIT ?? 0) + (xCache.STALE ?? 0)) / answered : 0 }
}

function logResult(log: (line: string) => void, result: ScenarioResult, outcome: LoadOutcome): void {
  const { id, xCache } = result
  if (outcome.non2xx > 0) log(`${id}: status codes ${JSON.stringify(outcome.statusCodes)}`)
  log(
    `${id}: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(2)} ms, p95 ${result.latency.p95.toFixed(2)}, p99 ${result.latency.p99.toFixed(2)}, errors ${result.errors}, non-2xx ${result.non2xx}` +
      (xCache ? `, X-Cache ${JSON.stringify(xCache)}` : ''),
  )
}
