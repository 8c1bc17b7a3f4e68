import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startApi } from '../api-child.ts'
import { runLoad } from '../load.ts'
import { ROOT } from '../processes.ts'
import { type CpuProfile, topSelfTime } from '../profile.ts'
import { B_CONNECTIONS } from '../sizes.ts'
import type { SuiteContext } from '../suite-context.ts'
import { cycle, ID_RANGES, ids, validationPath, warm } from '../traffic.ts'

/** (p) A separate API child under `--cpu-prof`, warmed, then loaded like (b); the functions with the most self time. */
export async function cpuProfile(ctx: SuiteContext): Promise<void> {
  if (!ctx.local) return
  const { options, log } = ctx
  const dir = join(options.outDir, 'cpu.tmp')
  await mkdir(dir, { recursive: true })
  const durationS = Math.min(options.durationS, 20)
  const child = await startApi(ctx.local.sandbox, options, ['--cpu-prof', '--cpu-prof-dir', dir])
  const startedAt = Date.now()
  let rps = 0
  let loadStarted = 0
  try {
    const products = ids(ID_RANGES.profile, ctx.size.warmIds)
    await warm(child.url, products)
    // A quiet gap, so the summarised window starts after the warming for sure.
    await sleep(1_000)
    log(`--- p: CPU profile of the cached GET (${durationS} s)`)
    loadStarted = performance.now()
    const outcome = await runLoad({ label: 'p', log, baseUrl: child.url, connections: B_CONNECTIONS, durationS, nextPath: cycle(products.map(validationPath)) })
    rps = outcome.reqPerSec
  } finally {
    await child.stop()
  }
  const loadAndExitMs = performance.now() - loadStarted
  const file = await newestProfile(dir, startedAt)
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  log(`[p] ${rps.toFixed(0)} req/s under the profiler; profile ${file}`)
  // The profile covers the child's whole life; only the load (and its short shutdown) is summarised.
  ctx.report.profile = { file: file.slice(ROOT.length), durationS, reqPerSec: rps, top: topSelfTime(profile, { limit: 12, root: ROOT, lastMs: loadAndExitMs }) }
}

/** The .cpuprofile the child wrote on exit: the newest in `dir` written since `sinceMs`. */
async function newestProfile(dir: string, sinceMs: number): Promise<string> {
  const written = []
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.cpuprofile')) continue
    const info = await stat(join(dir, name))
    if (info.mtimeMs >= sinceMs) written.push({ name, mtime: info.mtimeMs })
  }
  const newest = written.sort((a, b) => b.mtime - a.mtime)[0]
  if (!newest) throw new Error('the profiled API child wrote no .cpuprofile')
  return join(dir, newest.name)
}
