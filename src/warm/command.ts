import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../app.ts'
import { ConfigError, loadConfig } from '../config.ts'
import { sandboxFor } from '../sandbox/index.ts'
import { marketOf } from '../schemas/market.ts'
import { StoreError } from '../store/errors.ts'
import { parseWarmArgs, USAGE, UsageError, type WarmArgs } from './args.ts'
import { type BadLine, parseProductList } from './inputs.ts'
import { createProgress, type Output } from './progress.ts'
import { gatedSources } from './source-gate.ts'
import { formatSummary } from './summary.ts'
import { type WarmTarget, warmProducts } from './warm.ts'

// `npm run warm`: the server's own app (same configuration, cache, Redis, database and quota counters,
// and a sandbox started the same way in sandbox mode), used in-process without listening.

export interface WarmIo {
  env: NodeJS.ProcessEnv
  stdout: Output
  stderr: Output
}

const DAY_MS = 86_400_000
// A source that asks for a short wait (AliExpress bans last about a second) is waited for; one that
// asks for longer (Meta's self-throttle pauses a minute) is stopped until then and the rest goes on.
const HOLD_MS = 5_000
// AliExpress is needed by every product: the warmer waits this long for it before skipping the rest.
const MAX_WAIT_MS = 60_000

interface Targets {
  /** product lines (or database rows) asked for */
  requested: number
  bad: BadLine[]
  targets: WarmTarget[]
}

export async function warmCommand(argv: readonly string[], io: WarmIo): Promise<number> {
  let args: WarmArgs | 'help'
  try {
    args = parseWarmArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr.write(`warm: ${error.message}\n\n${USAGE}\n`)
    return 2
  }
  if (args === 'help') {
    io.stdout.write(`${USAGE}\n`)
    return 0
  }
  let config: ReturnType<typeof loadConfig>
  try {
    // The app's own logs would interleave with the progress: only warnings and errors, unless asked.
    config = loadConfig({ LOG_LEVEL: 'warn', ...io.env })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const problem of error.problems) io.stderr.write(`config: ${problem}\n`)
    return 2
  }
  let text: string | undefined
  if (args.source.kind === 'file') {
    try {
      text = await readFile(args.source.path, 'utf8')
    } catch (error) {
      io.stderr.write(`warm: cannot read ${args.source.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`)
      return 2
    }
  } else if (config.persistence.kind === 'off') {
    io.stderr.write('warm: --top reads the database, and PERSISTENCE is off\n')
    return 2
  }

  const prepared = await sandboxFor(config, io.env)
  const gated = gatedSources({ concurrency: args.concurrency, maxHoldMs: HOLD_MS })
  const app = await buildApp(prepared.config, { wrapSources: gated.wrap }).catch(async (error: unknown) => {
    await prepared.sandbox?.close()
    throw error
  })
  try {
    // The Redis cache client connects on its first command, and with no offline queue the commands
    // sent meanwhile fail (read as misses): one read first, so a batch's reads find it connected.
    await app.cacheStore.keyv.get('warm:connect').catch(() => undefined)
    if (prepared.config.sandbox) io.stdout.write('warm: SANDBOX MODE, simulated upstreams (answers say "sandbox": true)\n')
    let asked: Targets
    try {
      asked = text === undefined ? await popularTargets(app, args, io) : fileTargets(text, args)
    } catch (error) {
      if (!(error instanceof StoreError)) throw error
      io.stderr.write(`warm: ${error.message}\n`)
      return 1
    }
    const { requested, bad, targets } = asked
    for (const b of bad) io.stderr.write(`warm: line ${b.line}: ${b.message}\n`)
    if (targets.length === 0 && bad.length === 0) {
      io.stdout.write('warm: nothing to warm\n')
      return 0
    }
    io.stdout.write(`warm: ${targets.length} products, ${args.concurrency} lookups in flight per source at most\n`)
    const progress = createProgress(targets.length, io.stdout)
    const report = await warmProducts(targets, { service: app.service, gates: gated.gates(), maxWaitMs: MAX_WAIT_MS, onProgress: (t) => progress.update(t) })
    progress.stop()
    io.stdout.write(formatSummary({ requested, bad, report }))
    return report.alreadyCached + report.validated > 0 ? 0 : 1
  } finally {
    // Background refreshes settle and the validations reach the database before this returns.
    await app.close()
    await prepared.sandbox?.close()
  }
}

function fileTargets(text: string, args: WarmArgs): Targets {
  const { requested, bad, productIds } = parseProductList(text)
  const market = marketOf(args)
  return { requested, bad, targets: productIds.map((productId) => ({ productId, market })) }
}

async function popularTargets(app: FastifyInstance, args: WarmArgs, io: WarmIo): Promise<Targets> {
  if (args.source.kind !== 'top' || !app.store) throw new Error('--top needs the database')
  const since = new Date(Date.now() - args.source.days * DAY_MS)
  const popular = await app.store.popularProducts({ since, limit: args.source.count, country: args.country, currency: args.currency })
  io.stdout.write(`warm: the ${popular.length} products validated most often since ${since.toISOString()} (${app.store.kind})\n`)
  return { requested: popular.length, bad: [], targets: popular.map(({ productId, market }) => ({ productId, market })) }
}
