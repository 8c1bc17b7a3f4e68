import { setTimeout as sleep } from 'node:timers/promises'
import type { Market } from '../schemas/market.ts'
import type { BatchItemResult } from '../validation/batch.ts'
import type { ValidationService } from '../validation/service.ts'
import { type GateReport, type Gates, SOURCE_NAMES, type SourceName } from './source-gate.ts'

// The warm itself: products go through the service's batch path (up to 50 a call, one multi-id
// AliExpress call for those not cached), one batch after another; the gates bound the calls in flight
// to each source. AliExpress is needed by every product, so when it is spent for longer than the
// warmer is willing to wait, the products left are skipped rather than failed one by one.

export const BATCH_SIZE = 50

export interface WarmTarget {
  productId: string
  market: Market
}

export interface WarmTally {
  done: number
  total: number
  alreadyCached: number
  validated: number
  failed: number
  skipped: number
}

export interface WarmReport {
  total: number
  alreadyCached: number
  /** built now (MISS), or served stale and refreshed in the background (STALE) */
  validated: number
  /** by error code */
  failed: Record<string, number>
  /** not attempted: AliExpress could not be asked */
  skipped: number
  skippedBecause?: string
  /** per source, the status of its part in each validation built now */
  outcomes: Record<SourceName, Record<string, number>>
  sources: Record<SourceName, GateReport>
  durationMs: number
}

export interface WarmOptions {
  service: ValidationService
  gates: Gates
  /** how long to wait for AliExpress to answer again before skipping what is left */
  maxWaitMs: number
  now?: () => Date
  onProgress?: (tally: WarmTally) => void
}

export async function warmProducts(targets: readonly WarmTarget[], options: WarmOptions): Promise<WarmReport> {
  const started = performance.now()
  const now = options.now ?? (() => new Date())
  const { gates } = options
  const report: WarmReport = {
    total: targets.length,
    alreadyCached: 0,
    validated: 0,
    failed: {},
    skipped: 0,
    outcomes: { aliexpress: {}, facebook: {}, youtube: {} },
    sources: { aliexpress: gates.aliexpress.report(), facebook: gates.facebook.report(), youtube: gates.youtube.report() },
    durationMs: 0,
  }
  const tally: WarmTally = { done: 0, total: targets.length, alreadyCached: 0, validated: 0, failed: 0, skipped: 0 }
  const count = (result: BatchItemResult) => {
    tally.done++
    if (result.status === 'error') {
      report.failed[result.error.code] = (report.failed[result.error.code] ?? 0) + 1
      tally.failed++
    } else if (result.cache === 'HIT') {
      tally.alreadyCached++
    } else {
      tally.validated++
      if (result.cache === 'MISS') {
        for (const name of SOURCE_NAMES) {
          const status = result.validation.signals[name].status
          report.outcomes[name][status] = (report.outcomes[name][status] ?? 0) + 1
        }
      }
    }
    options.onProgress?.({ ...tally })
  }

  const batches = batchesOf(targets)
  for (const [i, batch] of batches.entries()) {
    await observeAll(gates, now())
    const blocked = await aliexpressBlocked(gates, options.maxWaitMs)
    if (blocked) {
      const left = batches.slice(i).reduce((sum, b) => sum + b.productIds.length, 0)
      report.skipped = left
      report.skippedBecause = blocked
      tally.skipped = left
      tally.done += left
      options.onProgress?.({ ...tally })
      break
    }
    const items = batch.productIds.map((productId) => ({ input: productId, productId }))
    await options.service.validateBatch(items, batch.market, (_index, result) => count(result))
  }
  await observeAll(gates, now())

  report.alreadyCached = tally.alreadyCached
  report.validated = tally.validated
  for (const name of SOURCE_NAMES) report.sources[name] = gates[name].report()
  report.durationMs = Math.round(performance.now() - started)
  return report
}

/** Batches of one market each, in the order the targets came. */
function batchesOf(targets: readonly WarmTarget[]): { market: Market; productIds: string[] }[] {
  const byMarket = new Map<string, { market: Market; productIds: string[] }>()
  for (const target of targets) {
    const key = `${target.market.country}:${target.market.currency}`
    const group = byMarket.get(key) ?? { market: target.market, productIds: [] }
    group.productIds.push(target.productId)
    byMarket.set(key, group)
  }
  return [...byMarket.values()].flatMap(({ market, productIds }) => {
    const batches = []
    for (let i = 0; i < productIds.length; i += BATCH_SIZE) batches.push({ market, productIds: productIds.slice(i, i + BATCH_SIZE) })
    return batches
  })
}

async function observeAll(gates: Gates, at: Date): Promise<void> {
  // A source that cannot say how it stands is simply asked; its answers still teach its gate.
  await Promise.all(SOURCE_NAMES.map((name) => gates[name].observe(at).catch(() => {})))
}

/** Why AliExpress cannot be asked for the next batch, after waiting up to maxWaitMs for it. */
async function aliexpressBlocked(gates: Gates, maxWaitMs: number): Promise<string | undefined> {
  const gate = gates.aliexpress
  const deadline = Date.now() + maxWaitMs
  for (;;) {
    const now = Date.now()
    const spent = gate.spent(now)
    const until = spent ? now + (spent.retryAfterMs ?? Number.POSITIVE_INFINITY) : gate.heldUntil()
    if (until <= now) return undefined
    if (until > deadline) return spent ? `aliexpress ${spent.status}: ${spent.reason}` : 'aliexpress asked us to wait longer than the warmer waits'
    await sleep(until - now)
  }
}
