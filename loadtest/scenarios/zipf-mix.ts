import { B_CONNECTIONS } from '../sizes.ts'
import type { SuiteContext } from '../suite-context.ts'
import { cycle, ID_RANGES, ids, validationPath } from '../traffic.ts'
import { idealHitRate, zipfSampler } from '../zipf.ts'

/** (d) A Zipf(1.0) mix of GETs from a cold start, as real traffic asks: a few products often, most rarely. */
export async function zipfMix(ctx: SuiteContext): Promise<void> {
  const { size } = ctx
  const sample = zipfSampler(size.zipfProducts, 1.0, 'zipf-mix')
  const ranks = Array.from({ length: size.zipfRequests }, sample)
  const catalogue = ids(ID_RANGES.zipf, size.zipfProducts).map(validationPath)
  const d = await ctx.measure('d', 'Zipf(1.0) GET mix, cold start', `c=${B_CONNECTIONS}, ${size.zipfRequests} requests over ${size.zipfProducts} products`, {
    baseUrl: ctx.baseUrl,
    connections: B_CONNECTIONS,
    amount: size.zipfRequests,
    nextPath: cycle(ranks.map((r) => catalogue[r]!)),
    countXCache: true,
    timeoutS: 30,
  })
  const ideal = idealHitRate(ranks)
  ctx.report.notes.push(
    `Zipf run: ${new Set(ranks).size} distinct products among ${size.zipfRequests} requests, so no cache can beat a ${(ideal * 100).toFixed(1)}% hit rate on this sequence; measured ${((d.hitRate ?? 0) * 100).toFixed(1)}%.`,
  )
}
