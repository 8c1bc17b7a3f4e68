import { loadavg } from 'node:os'
import { checks } from './checks.ts'
import type { ScenarioGroup, SuiteOptions } from './options.ts'
import type { SuiteReport } from './report.ts'
import { baseline } from './scenarios/baseline.ts'
import { batches } from './scenarios/batches.ts'
import { cachedThroughput } from './scenarios/cached-throughput.ts'
import { cpuProfile } from './scenarios/cpu-profile.ts'
import { memoryFill } from './scenarios/memory-fill.ts'
import { thousandByTen } from './scenarios/thousand-by-ten.ts'
import { uncachedLatency } from './scenarios/uncached-latency.ts'
import { zipfMix } from './scenarios/zipf-mix.ts'
import { type Cleanup, openSuite, type SuiteContext } from './suite-context.ts'
import { compareWithBaseline, emptyReport, writeResults } from './suite-report.ts'

// The load suite: starts the sandbox upstreams here (to count their calls and set their latency),
// the API and the bare Fastify baseline as child processes, runs each scenario with autocannon in
// this process, and writes latest.json, latest.md and latency.svg.

// run.ts and the benchmark scripts import these from here.
export { nodeArgsOf, PRODUCTION_NODE_ARGS, sandboxApiEnv, startLoadSandbox } from './api-child.ts'
export { ALL_GROUPS, type ScenarioGroup, type SuiteOptions } from './options.ts'

interface Step {
  /** the step runs when any of these groups is asked for */
  groups: readonly ScenarioGroup[]
  run: (ctx: SuiteContext) => Promise<void>
}

// In this order: (e) and (b) need the warmed products, (b) is read against (e), and the memory fill
// comes after the scenarios that read the cache, since it fills the cache to its bound.
const STEPS: readonly Step[] = [
  { groups: ['a'], run: uncachedLatency },
  { groups: ['a'], run: thousandByTen },
  { groups: ['e', 'b'], run: (ctx) => ctx.warm.ensure() },
  { groups: ['e'], run: baseline },
  { groups: ['b'], run: cachedThroughput },
  { groups: ['c'], run: batches },
  { groups: ['d'], run: zipfMix },
  { groups: ['d'], run: memoryFill },
  { groups: ['p'], run: cpuProfile },
]

export async function runSuite(options: SuiteOptions): Promise<SuiteReport> {
  const report = emptyReport(options, new Date())
  const startLoad = loadavg()[0]!
  const cleanups: Cleanup[] = []
  try {
    const ctx = await openSuite(options, report, cleanups)
    for (const step of STEPS) {
      if (step.groups.some((group) => options.groups.has(group))) await step.run(ctx)
    }
    compareWithBaseline(report)
    report.checks = checks(report, ctx.size)
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => options.log(`cleanup failed: ${String(err)}`))
  }
  report.finishedAt = new Date().toISOString()
  // Anything else running on the machine skews every figure: keep the evidence with them.
  report.notes.push(`Load average (1 min) at the start ${startLoad.toFixed(2)}, at the end ${loadavg()[0]!.toFixed(2)}.`)
  await writeResults(report, options.outDir)
  return report
}
