import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runLoad } from '../loadtest/load.ts'
import { freePort, ROOT, type SpawnOptions, spawnNode } from '../loadtest/processes.ts'
import { writeReferenceAnswer } from '../loadtest/reference-answer.ts'
import { nodeArgsOf, PRODUCTION_NODE_ARGS, sandboxApiEnv, startLoadSandbox } from '../loadtest/suite.ts'
import { ID_RANGES, ids, validationPath, warm } from '../loadtest/traffic.ts'

// npm run bench:gc [-- --node-args="<flags>" ...] [--rate=5000] [--seconds=10]
//
// The young generation under cached GETs at a fixed rate, read from V8's own --trace-gc-nvp lines:
// what each scavenge keeps alive and promotes, its pause, and how many mark-compacts the window holds.
// Targets: bare Fastify sending the API's headers and body, this tree under the production flags
// (PRODUCTION_NODE_ARGS), and this tree under each --node-args. One target at a time, each a process
// of its own after a 3 s warm-up at the same rate. Bytes kept per scavenge depend on what the program
// holds, not on how busy the machine is, so this resolves what CPU time on shared cores cannot.

const { values } = parseArgs({
  options: {
    'node-args': { type: 'string', multiple: true, default: [] },
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
  },
})
const rate = Number(values.rate)
const seconds = Number(values.seconds)

interface Gc {
  kind: string
  [field: string]: number | string
}

/** One --trace-gc-nvp line: `... pause=1.2 mutator=3.4 gc=s ... new_space_survived=1234 ...` */
function parseGcLine(line: string): Gc | undefined {
  const fields = Object.fromEntries([...line.matchAll(/([\w.]+)=([^\s]+)/g)].map(([, k, v]) => [k!, Number.isNaN(Number(v)) ? v! : Number(v)]))
  return typeof fields.gc === 'string' ? { ...fields, kind: fields.gc } : undefined
}

const sandbox = await startLoadSandbox()
for (const s of [sandbox.aliexpress, sandbox.facebook, sandbox.youtube]) s.setBehaviour({ latencyMs: 1, jitterMs: 0 })
const cleanups: (() => Promise<unknown>)[] = [() => sandbox.close()]
const products = ids(ID_RANGES.warm, 1000)
const paths = products.map(validationPath)
const production = nodeArgsOf(PRODUCTION_NODE_ARGS)
const apiEnv = { ...sandboxApiEnv(sandbox), PERSISTENCE: 'off' }

async function measure(name: string, spawn: Omit<SpawnOptions, 'port' | 'onStdoutLine'>, api: boolean) {
  const window: Gc[] = []
  let counting = false
  const child = await spawnNode({
    ...spawn,
    nodeArgs: [...(spawn.nodeArgs ?? []), '--trace-gc-nvp'],
    port: await freePort(),
    onStdoutLine: (line) => {
      const gc = counting ? parseGcLine(line) : undefined
      if (gc) window.push(gc)
    },
  })
  try {
    if (api) await warm(child.url, products)
    let i = 0
    const load = (durationS: number) =>
      runLoad({ label: name, log: () => {}, baseUrl: child.url, connections: 100, durationS, overallRate: rate, nextPath: () => paths[i++ % paths.length]! })
    await load(3)
    counting = true
    const outcome = await load(seconds)
    counting = false
    if (outcome.errors + outcome.non2xx > 0) throw new Error(`${name}: ${outcome.errors} errors, ${outcome.non2xx} non-2xx`)
    const scavenges = window.filter((g) => g.kind === 's')
    const median = (field: string) => {
      const xs = scavenges.map((g) => Number(g[field] ?? 0)).sort((a, b) => a - b)
      return xs[Math.floor(xs.length / 2)] ?? 0
    }
    const perThousand = (n: number) => ((n * 1000) / outcome.requests).toFixed(1)
    const scavengeMs = scavenges.reduce((sum, g) => sum + Number(g.scavenge ?? 0) + Number(g['background.scavenge.parallel'] ?? 0), 0)
    return {
      name,
      requests: outcome.requests,
      scavenges: scavenges.length,
      keptKb: (median('new_space_survived') / 1024).toFixed(1),
      promotedKb: (median('promoted') / 1024).toFixed(1),
      pauseMs: median('pause').toFixed(1),
      scavengeMsPer1k: perThousand(scavengeMs),
      markCompacts: window.filter((g) => g.kind === 'mc').length,
    }
  } finally {
    await child.stop()
  }
}

try {
  const work = await mkdtemp(join(tmpdir(), 'dropforge-gc-'))
  cleanups.push(() => rm(work, { recursive: true, force: true }))
  const probe = await spawnNode({ script: join(ROOT, 'src/server.ts'), port: await freePort(), nodeArgs: production, env: apiEnv })
  cleanups.push(() => probe.stop())
  await warm(probe.url, products.slice(0, 1))
  const { bodyFile, headersFile } = await writeReferenceAnswer(`${probe.url}${paths[0]}`, work)
  await probe.stop()

  const rows = [
    await measure('bare + headers', { script: 'loadtest/baseline.ts', nodeArgs: production, env: { BASELINE_BODY_FILE: bodyFile, BASELINE_HEADERS_FILE: headersFile } }, false),
    await measure('this tree', { script: 'src/server.ts', nodeArgs: production, env: apiEnv }, true),
  ]
  for (const flags of values['node-args']) {
    rows.push(await measure(`node ${flags}`.trim(), { script: 'src/server.ts', nodeArgs: nodeArgsOf(flags), env: apiEnv }, true))
  }
  const width = Math.max(16, ...rows.map((r) => r.name.length))
  console.log(`Young-generation GC under cached GETs at ${rate} req/s for ${seconds} s (Node ${process.version}); medians per scavenge, totals per 1,000 requests:`)
  console.log(`  ${'target'.padEnd(width)} ${'scavenges'.padStart(9)} ${'kept KiB'.padStart(9)} ${'promoted KiB'.padStart(12)} ${'pause ms'.padStart(8)} ${'scavenge ms/1k'.padStart(14)} ${'mark-compacts'.padStart(13)}`)
  for (const r of rows) {
    console.log(
      `  ${r.name.padEnd(width)} ${String(r.scavenges).padStart(9)} ${r.keptKb.padStart(9)} ${r.promotedKb.padStart(12)} ${r.pauseMs.padStart(8)} ${r.scavengeMsPer1k.padStart(14)} ${String(r.markCompacts).padStart(13)}`,
    )
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`cleanup failed: ${String(err)}\n`))
}
process.exit(0)
