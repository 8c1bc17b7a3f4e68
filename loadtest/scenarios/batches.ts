import type { ScenarioResult } from '../report.ts'
import { BATCH } from '../sizes.ts'
import { summarize } from '../stats.ts'
import type { SuiteContext } from '../suite-context.ts'
import { type BatchOutcome, ID_RANGES, ids, postBatch } from '../traffic.ts'

/** (c) POST batches of 50 products nobody asked for: some one after another, then several at once. */
export async function batches(ctx: SuiteContext): Promise<void> {
  const { size, baseUrl, log, upstream, report } = ctx
  log(`--- c: batches of ${BATCH} cold products, ${size.batchesSequential} one after another, then ${size.batchesConcurrent} at once`)
  let next = ID_RANGES.batches
  const take = () => {
    const batch = ids(next, BATCH)
    next += BATCH
    return batch
  }
  const before = upstream.now()
  const sequential: BatchOutcome[] = []
  for (let i = 0; i < size.batchesSequential; i++) {
    sequential.push(await postBatch(baseUrl, take()))
    log(`[c] sequential batch ${i + 1}: ${sequential.at(-1)!.ms.toFixed(0)} ms`)
  }
  const sequentialCalls = upstream.since(before)
  const concurrentBefore = upstream.now()
  const concurrentStarted = performance.now()
  const concurrent = await Promise.all(Array.from({ length: size.batchesConcurrent }, () => postBatch(baseUrl, take())))
  const concurrentWall = (performance.now() - concurrentStarted) / 1000
  log(`[c] ${size.batchesConcurrent} concurrent batches: ${concurrent.map((b) => b.ms.toFixed(0)).join(', ')} ms`)
  const concurrentCalls = upstream.since(concurrentBefore)
  const sequentialS = sequential.reduce((s, o) => s + o.ms, 0) / 1000
  report.scenarios.push(
    batchRow('c-seq', 'POST batch of 50, one at a time', `${size.batchesSequential} batches of ${BATCH} cold products`, sequential, sequentialS, sequentialCalls),
    batchRow('c-conc', 'POST batch of 50, concurrent', `${size.batchesConcurrent} batches of ${BATCH} cold products at once`, concurrent, concurrentWall, concurrentCalls),
  )
  report.batches = {
    sequentialMs: sequential.map((o) => o.ms),
    concurrentMs: concurrent.map((o) => o.ms),
    concurrency: size.batchesConcurrent,
    size: BATCH,
    failedItems: [...sequential, ...concurrent].reduce((s, o) => s + o.failed, 0),
  }
}

/** Batches as a scenario row: one request per batch, over `seconds`. */
function batchRow(
  id: string,
  title: string,
  settings: string,
  outcomes: readonly BatchOutcome[],
  seconds: number,
  upstream: ScenarioResult['upstream'],
): ScenarioResult {
  return {
    id,
    title,
    settings,
    requests: outcomes.length,
    durationS: seconds,
    reqPerSec: outcomes.length / seconds,
    latency: summarize(outcomes.map((o) => o.ms)),
    errors: 0,
    timeouts: 0,
    non2xx: outcomes.filter((o) => o.status !== 200).length,
    ...(upstream ? { upstream } : {}),
  }
}
