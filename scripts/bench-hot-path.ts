import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runLoad } from '../loadtest/load.ts'
import { type Child, checkoutRevision, cpuMs, freePort, ROOT, spawnNode } from '../loadtest/processes.ts'
import { writeReferenceAnswer } from '../loadtest/reference-answer.ts'
import { nodeArgsOf, PRODUCTION_NODE_ARGS, sandboxApiEnv, startLoadSandbox } from '../loadtest/suite.ts'
import { ID_RANGES, ids, validationPath, warm } from '../loadtest/traffic.ts'

// npm run bench:hot-path [-- --against=<git ref> ...] [--node-args="<flags>" ...] [--rate=5000] [--rounds=8] [--seconds=3]
//
// CPU per cached GET: this tree, optionally other revisions (each checked out in a temporary git
// worktree), bare Fastify serving the same bytes, and bare Fastify sending the same bytes with the
// same headers (the API's own answer, captured), all running at once as children, each in its own
// process, and loaded in turn, round after round, at a fixed rate none of them saturates. On shared
// cores throughput swings by ±30% between runs; interleaved rounds and CPU time per request (from
// /proc) do not. Each ratio is taken against the baseline of the same round, then the median.
// Every child runs with the Node flags production uses (PRODUCTION_NODE_ARGS), the baselines too;
// --node-args adds this tree once more under other flags, to measure what a flag is worth.

const { values } = parseArgs({
  options: {
    against: { type: 'string', multiple: true, default: [] },
    'node-args': { type: 'string', multiple: true, default: [] },
    rate: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '3' },
  },
})
const rate = Number(values.rate)
const rounds = Number(values.rounds)
const seconds = Number(values.seconds)
for (const [name, v] of [['rate', rate], ['rounds', rounds], ['seconds', seconds]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`)
}

interface Target {
  name: string
  child: Child
  cpuUsPerRequest: number[]
}

const sandbox = await startLoadSandbox()
// Warming only: the upstreams' latency is not what is measured.
for (const s of [sandbox.aliexpress, sandbox.facebook, sandbox.youtube]) s.setBehaviour({ latencyMs: 1, jitterMs: 0 })
const cleanups: (() => Promise<unknown>)[] = [() => sandbox.close()]
const targets: Target[] = []
const products = ids(ID_RANGES.warm, 1000)
const paths = products.map(validationPath)

const productionArgs = nodeArgsOf(PRODUCTION_NODE_ARGS)

async function startApi(name: string, root: string, nodeArgs = productionArgs) {
  const child = await spawnNode({
    script: join(root, 'src/server.ts'),
    port: await freePort(),
    nodeArgs,
    env: { ...sandboxApiEnv(sandbox), PERSISTENCE: 'off' },
  })
  cleanups.push(() => child.stop())
  await warm(child.url, products)
  targets.push({ name, child, cpuUsPerRequest: [] })
}

try {
  await startApi('this tree', ROOT)
  for (const ref of values.against) {
    const { dir, remove } = await checkoutRevision(ref)
    cleanups.push(remove)
    await startApi(ref, dir)
  }
  for (const flags of values['node-args']) await startApi(`node ${flags}`.trim(), ROOT, nodeArgsOf(flags))
  const work = await mkdtemp(join(tmpdir(), 'dropforge-bench-'))
  cleanups.push(() => rm(work, { recursive: true, force: true }))
  const { bodyFile, headersFile } = await writeReferenceAnswer(`${targets[0]!.child.url}${paths[0]}`, work)
  for (const [name, env] of [
    ['bare + headers', { BASELINE_BODY_FILE: bodyFile, BASELINE_HEADERS_FILE: headersFile }],
    ['bare Fastify', { BASELINE_BODY_FILE: bodyFile }],
  ] as const) {
    const baseline = await spawnNode({ script: 'loadtest/baseline.ts', port: await freePort(), env, nodeArgs: productionArgs })
    cleanups.push(() => baseline.stop())
    targets.unshift({ name, child: baseline, cpuUsPerRequest: [] })
  }

  for (let round = 1; round <= rounds; round++) {
    // Every other round in reverse order, so no target always runs right after the same one.
    for (const target of round % 2 === 1 ? targets : [...targets].reverse()) {
      let i = 0
      const before = await cpuMs(target.child.pid)
      const outcome = await runLoad({
        label: target.name,
        log: () => {},
        baseUrl: target.child.url,
        connections: 100,
        durationS: seconds,
        overallRate: rate,
        nextPath: () => paths[i++ % paths.length]!,
      })
      if (outcome.errors + outcome.non2xx > 0) throw new Error(`${target.name}: ${outcome.errors} errors, ${outcome.non2xx} non-2xx`)
      target.cpuUsPerRequest.push((((await cpuMs(target.child.pid)) - before) * 1000) / outcome.requests)
    }
    process.stderr.write(`round ${round}/${rounds}: ${targets.map((t) => `${t.name} ${t.cpuUsPerRequest.at(-1)!.toFixed(1)} µs`).join(', ')}\n`)
  }
  const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const [bare, bareHeaders] = [targets[0]!, targets[1]!]
  // Each round's ratio to the baseline of the same round, then the median: drift cancels out.
  const ratio = (base: Target, target: Target) => median(target.cpuUsPerRequest.map((us, r) => base.cpuUsPerRequest[r]! / us)).toFixed(2)
  console.log(`CPU per cached GET at ${rate} req/s, median of ${rounds} interleaved rounds of ${seconds} s (Node ${process.version}):`)
  const width = Math.max(16, ...targets.map((t) => t.name.length))
  console.log(`  ${'target'.padEnd(width)} ${'µs'.padStart(6)}   bare/this   (bare + headers)/this`)
  for (const target of targets) {
    console.log(`  ${target.name.padEnd(width)} ${median(target.cpuUsPerRequest).toFixed(1).padStart(6)}   ${ratio(bare, target).padStart(9)}   ${ratio(bareHeaders, target).padStart(21)}`)
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`cleanup failed: ${String(err)}\n`))
}
process.exit(0)
