import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { runLoad } from '../loadtest/load.ts'
import { CHILD_HOST, type Child, checkoutRevision, freePort, ROOT, type SpawnOptions, spawnNode } from '../loadtest/processes.ts'
import { writeReferenceAnswer } from '../loadtest/reference-answer.ts'
import { nodeArgsOf, PRODUCTION_NODE_ARGS, sandboxApiEnv, startLoadSandbox } from '../loadtest/suite.ts'
import { ID_RANGES, ids, validationPath, warm } from '../loadtest/traffic.ts'

// npm run bench:instructions [-- --against=<git ref> ...] [--node-args="<flags>" ...] [--warm=100000] [--requests=60000] [--rounds=1] [--top=20]
//
// Instructions per cached GET, counted by valgrind's callgrind: bare Fastify, bare Fastify sending
// the API's headers, this tree, and optionally other revisions (each checked out in a temporary git
// worktree). An instruction count does not depend on what else the machine is doing, so it resolves
// differences of a few percent where CPU time on these shared cores swings by 13-37 % (PERFORMANCE.md).
// It counts user space only, in every thread (GC workers too); the kernel's share is left out (every
// target makes one read and one writev a request). Needs valgrind (apt-get install valgrind).
//
// Some processes, at random, build Node's own process.nextTick objects (about 28 a request) on a
// slow path through the V8 runtime (Runtime_DefineKeyedOwnPropertyInLiteral, with map migrations):
// about 35,000 more instructions a request, in bare Fastify as in the API. Each round is a new
// process; the table shows that share per target, and the ratios both with and without it.
// V8 keeps compiling on its background threads (Turbofan, Maglev) well into the load: natively the
// API's optimizations settle after about 100,000 requests, and under valgrind, which runs one thread
// at a time, later still. After a 20,000-request warm-up the compiling in the counted window was
// 8-10k instructions a request and differed from process to process, baselines included. Hence the
// long default warm-up; what compiling still falls in the window is shown and left out of "net". Major GCs stay in: they are steady-state cost, and the window is long enough
// to hold several. A round of the three targets takes about 15 minutes.
//
// --top=N lists each target's N costliest functions (exclusive instructions per request). Callgrind
// cannot name JIT code, so the targets then run with --perf-basic-prof and their code addresses are
// looked up in the /tmp/perf-<pid>.map V8 writes.
//
// Every target runs with the Node flags production uses (PRODUCTION_NODE_ARGS); --node-args adds this
// tree once more under other flags, to count what a flag is worth.

const { values } = parseArgs({
  options: {
    against: { type: 'string', multiple: true, default: [] },
    'node-args': { type: 'string', multiple: true, default: [] },
    requests: { type: 'string', default: '60000' },
    warm: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '1' },
    products: { type: 'string', default: '100' },
    top: { type: 'string', default: '0' },
  },
})
const top = Number(values.top)
if (!Number.isInteger(top) || top < 0) throw new Error('--top must be a whole number')
const settings = { requests: Number(values.requests), warm: Number(values.warm), rounds: Number(values.rounds), products: Number(values.products) }
for (const [name, v] of Object.entries(settings)) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`)
}
try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
} catch {
  throw new Error('valgrind is not installed (apt-get install valgrind)')
}

interface Count {
  /** instructions per request */
  total: number
  /** of which inside Node's nextTick slow path */
  slowTicks: number
  /** of which on V8's background compiler threads */
  compile: number
}

interface Target {
  name: string
  start: (wrapper: string[]) => Promise<Child>
  /** needs its cache warmed before the run */
  api: boolean
  counts: Count[]
}

const sandbox = await startLoadSandbox()
// Warming only: the upstreams' latency is not what is measured.
for (const s of [sandbox.aliexpress, sandbox.facebook, sandbox.youtube]) s.setBehaviour({ latencyMs: 1, jitterMs: 0 })
const cleanups: (() => Promise<unknown>)[] = [() => sandbox.close()]
const products = ids(ID_RANGES.warm, settings.products)
const paths = products.map(validationPath)
// Without code-space compaction, code does not move after the map has named it.
const profiling = top > 0 ? ['--perf-basic-prof', '--no-compact-code-space'] : []
const nodeArgs = [...nodeArgsOf(PRODUCTION_NODE_ARGS), ...profiling]
const work = await mkdtemp(join(tmpdir(), 'dropforge-instructions-'))
cleanups.push(() => rm(work, { recursive: true, force: true }))

const spawnApi = (root: string, args = nodeArgs) => async (wrapper: string[]) =>
  spawnNode({ script: join(root, 'src/server.ts'), port: await freePort(), nodeArgs: args, wrapper, env: { ...sandboxApiEnv(sandbox), PERSISTENCE: 'off' }, startTimeoutMs: 300_000 })

/** Starts `target` under callgrind with counting off, warms it, counts `requests` GETs. */
async function count(target: Target, round: number): Promise<Count> {
  const out = join(work, `${target.name.replace(/\W+/g, '-')}-${round}`)
  const child = await target.start(['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}.%p`])
  try {
    if (target.api) await warm(child.url, products)
    let i = 0
    const load = (amount: number) =>
      runLoad({ label: target.name, log: () => {}, baseUrl: child.url, connections: 10, amount, timeoutS: 60, nextPath: () => paths[i++ % paths.length]! })
    // Enough requests for V8 to have optimized the hot path before counting starts.
    await load(settings.warm)
    callgrind(child.pid, '--instr=on')
    const outcome = await load(settings.requests)
    callgrind(child.pid, '--instr=off')
    callgrind(child.pid, '--dump')
    if (outcome.errors + outcome.non2xx > 0) throw new Error(`${target.name}: ${outcome.errors} errors, ${outcome.non2xx} non-2xx`)
    const file = `${out}.${child.pid}.1`
    const total = await dumpedTotal(file)
    const shares = inclusiveShares(file)
    if (top > 0) printTop(target.name, file, child.pid, outcome.requests)
    return { total: total / outcome.requests, slowTicks: shares.slowTicks / outcome.requests, compile: shares.compile / outcome.requests }
  } finally {
    await child.stop()
  }
}

function callgrind(pid: number, command: string) {
  // vgdb finds the process by a pipe named after $USER and $HOST, and spawnNode sets the child's HOST.
  const run = spawnSync('callgrind_control', [command, String(pid)], { encoding: 'utf8', env: { ...process.env, HOST: CHILD_HOST } })
  if (run.status !== 0 || !run.stderr.includes('sending command')) throw new Error(`callgrind_control ${command} ${pid} sent nothing:\n${run.stdout}${run.stderr}`)
}

/** callgrind_control returns once the dump has started; the file may still be being written. */
async function dumpedTotal(file: string): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const text = await readFile(file, 'utf8').catch(() => '')
    const match = /^totals: (\d+)/m.exec(text)
    if (match) return Number(match[1])
    await sleep(100)
  }
  throw new Error(`callgrind wrote no totals to ${file} (files: ${(await readdir(work)).join(', ')})`)
}

/** Inclusive instructions of the V8 runtime call behind the slow nextTick objects, and of the background compilers. */
function inclusiveShares(file: string): { slowTicks: number; compile: number } {
  const annotated = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const of = (symbol: RegExp) => {
    const match = new RegExp(String.raw`^\s*([\d,]+) .*${symbol.source}`, 'm').exec(annotated)
    return match ? Number(match[1]!.replaceAll(',', '')) : 0
  }
  return {
    slowTicks: of(/Runtime_DefineKeyedOwnPropertyInLiteral/),
    compile: of(/OptimizingCompileTaskExecutor::CompileTask::Run/) + of(/MaglevConcurrentDispatcher::JobTask::Run/),
  }
}

/** The `top` functions of a dump by exclusive instructions per request, JIT code named from V8's perf map. */
function printTop(name: string, file: string, pid: number, requests: number) {
  const mapFile = `/tmp/perf-${pid}.map`
  cleanups.push(() => rm(mapFile, { force: true }))
  const code = readFileSync(mapFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start = '0', size = '0', ...rest] = line.split(' ')
      return { start: Number.parseInt(start, 16), end: Number.parseInt(start, 16) + Number.parseInt(size, 16), name: rest.join(' ') }
    })
  // V8 appends to the map as it compiles, and freed code space is reused: the last entry holding an
  // address is the code that was there at the end.
  const nameAt = (address: number) => code.findLast((c) => c.start <= address && address < c.end)?.name
  const annotated = execFileSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  const costs = new Map<string, number>()
  for (const match of annotated.matchAll(/^\s*([\d,]+) \([^)]*\)\s+(.+)$/gm)) {
    const [, cost = '0', fn = ''] = match
    if (fn.includes('PROGRAM TOTALS')) continue
    const address = /^\?\?\?:0x([0-9a-f]+) /.exec(fn)
    // Embedded builtins and C++ carry their own symbol; drop the binary's path.
    const label = (address && nameAt(Number.parseInt(address[1]!, 16))) ?? fn.replace(/ \[[^\]]*\]$/, '').replace(/^\?\?\?:/, '')
    costs.set(label, (costs.get(label) ?? 0) + Number(cost.replaceAll(',', '')))
  }
  process.stderr.write(`  ${name}: the ${top} costliest functions, exclusive instructions per request\n`)
  for (const [label, cost] of [...costs].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stderr.write(`  ${String(Math.round(cost / requests)).padStart(7)}  ${label.slice(0, 140)}\n`)
  }
}

try {
  // The API's bytes and headers, for the two baselines, from a plain (unmeasured) API process.
  const probe = await spawnApi(ROOT)([])
  cleanups.push(() => probe.stop())
  await warm(probe.url, products.slice(0, 1))
  const { bodyFile, headersFile } = await writeReferenceAnswer(`${probe.url}${paths[0]}`, work)
  await probe.stop()

  const baseline = (env: SpawnOptions['env']) => async (wrapper: string[]) =>
    spawnNode({ script: 'loadtest/baseline.ts', port: await freePort(), nodeArgs, wrapper, env, startTimeoutMs: 300_000 })
  const targets: Target[] = [
    { name: 'bare Fastify', api: false, counts: [], start: baseline({ BASELINE_BODY_FILE: bodyFile }) },
    { name: 'bare + headers', api: false, counts: [], start: baseline({ BASELINE_BODY_FILE: bodyFile, BASELINE_HEADERS_FILE: headersFile }) },
    { name: 'this tree', api: true, counts: [], start: spawnApi(ROOT) },
  ]
  for (const ref of values.against) {
    const { dir, remove } = await checkoutRevision(ref)
    cleanups.push(remove)
    targets.push({ name: ref, api: true, counts: [], start: spawnApi(dir) })
  }
  for (const flags of values['node-args']) {
    targets.push({ name: `node ${flags}`.trim(), api: true, counts: [], start: spawnApi(ROOT, [...nodeArgsOf(flags), ...profiling]) })
  }

  for (let round = 1; round <= settings.rounds; round++) {
    for (const target of targets) {
      const c = await count(target, round)
      target.counts.push(c)
      process.stderr.write(
        `round ${round}/${settings.rounds}: ${target.name} ${Math.round(c.total)} instructions per request, ${Math.round(c.slowTicks)} in slow nextTick objects, ${Math.round(c.compile)} compiling\n`,
      )
    }
  }

  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`
  const summary = (target: Target) => ({ total: median(target.counts.map((c) => c.total)), net: median(target.counts.map((c) => c.total - c.slowTicks - c.compile)) })
  const [bare, bareHeaders] = [summary(targets[0]!), summary(targets[1]!)]
  console.log(`Instructions per cached GET (callgrind: user space, all threads), median of ${settings.rounds} rounds (a process each) of ${settings.requests} requests after ${settings.warm}, Node ${process.version}.`)
  console.log(`"net" leaves out Node's slow nextTick objects, which some processes pay at random, and V8's background compiling (see the top of scripts/bench-instructions.ts).`)
  const width = Math.max(16, ...targets.map((t) => t.name.length))
  console.log(`  ${'target'.padEnd(width)} ${'rounds: total/slow nextTick/compiling'.padEnd(46)} ${'median'.padStart(7)} ${'net'.padStart(7)}   bare/this  net   (bare+headers)/this  net`)
  for (const target of targets) {
    const m = summary(target)
    const rounds = target.counts.map((c) => `${k(c.total)}/${k(c.slowTicks)}/${k(c.compile)}`).join(' ')
    const ratios = [bare.total / m.total, bare.net / m.net, bareHeaders.total / m.total, bareHeaders.net / m.net].map((r) => r.toFixed(2))
    console.log(
      `  ${target.name.padEnd(width)} ${rounds.padEnd(46)} ${k(m.total).padStart(7)} ${k(m.net).padStart(7)}   ${ratios[0]!.padStart(9)} ${ratios[1]!.padStart(4)}   ${ratios[2]!.padStart(19)} ${ratios[3]!.padStart(4)}`,
    )
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`cleanup failed: ${String(err)}\n`))
}
process.exit(0)
