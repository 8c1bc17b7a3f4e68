import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import type { SuiteOptions } from './options.ts'
import { ROOT } from './processes.ts'
import { latencySvg, markdownReport, type SuiteReport } from './report.ts'

// The report of one run: what was measured on which machine, the API runs set against the baseline,
// and the files written to loadtest/results/.

export function emptyReport(options: SuiteOptions, started: Date): SuiteReport {
  return {
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

/** Each API run against the baseline run with the same settings, and a note on CPU per request. */
export function compareWithBaseline(report: SuiteReport): void {
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
}

export async function writeResults(report: SuiteReport, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(outDir, 'latest.md'), markdownReport(report))
  await writeFile(join(outDir, 'latency.svg'), latencySvg(report.scenarios))
}
