import type { SuiteContext } from '../suite-context.ts'
import { cycle, ID_RANGES, ids, validationPath } from '../traffic.ts'

/** (a) 1,000 connections sending 10 requests each: first to products nobody asked for, then to warmed ones. */
export async function thousandByTen(ctx: SuiteContext): Promise<void> {
  const { size, baseUrl, warm } = ctx
  const perConnection = `c=${size.aConnections}, ${size.aAmount / size.aConnections} requests each`
  const uncached = ids(ID_RANGES.uncached, size.aAmount)
  await ctx.measure('a-uncached', 'uncached GET, 1,000 x 10', `${perConnection}, ${size.aAmount} distinct products`, {
    baseUrl,
    connections: size.aConnections,
    amount: size.aAmount,
    nextPath: cycle(uncached.map(validationPath)),
    countXCache: true,
    timeoutS: 30,
  })
  await warm.ensure()
  await ctx.measure('a-cached', 'cached GET, 1,000 x 10', `${perConnection}, ${warm.ids.length} warmed products x 10`, {
    baseUrl,
    connections: size.aConnections,
    amount: warm.ids.length * 10,
    nextPath: cycle(warm.paths),
    countXCache: true,
  })
}
