import type { LoadOptions } from '../load.ts'
import { B_CONNECTIONS, FEW_CONNECTIONS } from '../sizes.ts'
import type { SuiteContext } from '../suite-context.ts'
import { cycle } from '../traffic.ts'

/** A timed run over the warmed products against `baseUrl`: closed loop, or at a fixed overall rate. */
export function warmedLoad(ctx: SuiteContext, baseUrl: string, connections: number, overallRate?: number): Omit<LoadOptions, 'label' | 'log'> {
  return { baseUrl, connections, durationS: ctx.options.durationS, ...(overallRate ? { overallRate } : {}), nextPath: cycle(ctx.warm.paths) }
}

/**
 * (b) The cached GET through the full stack, compared with the baseline (e) at the same settings.
 * Closed-loop latency at 100 connections is connections / throughput (Little's law): mostly
 * queueing on this machine. Ten connections show what one request costs when it barely queues.
 * (autocannon's fixed-rate mode sends each second's budget in one burst, so it is no help for
 * latency.) The fixed rate is for cost: at a rate below both servers' capacity neither they nor the
 * load generator saturate, and the CPU each spends per request is the fairest comparison with the
 * baseline on shared cores.
 */
export async function cachedThroughput(ctx: SuiteContext): Promise<void> {
  const { baseUrl, size } = ctx
  const { durationS } = ctx.options
  const products = ctx.warm.ids.length
  await ctx.measure('b', 'cached GET, full stack', `c=${B_CONNECTIONS}, p=1, ${durationS} s, ${products} products`, warmedLoad(ctx, baseUrl, B_CONNECTIONS))
  await ctx.measure(
    'b-rate',
    'cached GET, full stack, fixed rate',
    `c=${B_CONNECTIONS}, ${size.fixedRate} req/s, ${durationS} s`,
    warmedLoad(ctx, baseUrl, B_CONNECTIONS, size.fixedRate),
  )
  await ctx.measure(
    'b-c10',
    'cached GET, full stack, 10 connections',
    `c=${FEW_CONNECTIONS}, p=1, ${durationS} s, ${products} products`,
    warmedLoad(ctx, baseUrl, FEW_CONNECTIONS),
  )
}
