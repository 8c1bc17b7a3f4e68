import { rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, spawnNode } from '../processes.ts'
import { B_CONNECTIONS, FEW_CONNECTIONS } from '../sizes.ts'
import type { SuiteContext } from '../suite-context.ts'
import { cycle } from '../traffic.ts'
import { warmedLoad } from './cached-throughput.ts'

/**
 * (e) A bare Fastify server (loadtest/baseline.ts) answering the exact bytes the API serves for a
 * cached product, loaded like (b), and like (a) when that group runs: what the API is compared with.
 */
export async function baseline(ctx: SuiteContext): Promise<void> {
  const body = await cachedBody(ctx)
  const bodyFile = join(tmpdir(), `dropforge-baseline-${process.pid}.json`)
  await writeFile(bodyFile, body)
  ctx.cleanups.push(() => rm(bodyFile, { force: true }))
  const server = await spawnNode({ script: 'loadtest/baseline.ts', port: await freePort(), env: { BASELINE_BODY_FILE: bodyFile } })
  ctx.serverPids.set(server.url, server.pid)
  const { size } = ctx
  const { durationS } = ctx.options
  try {
    const url = server.url
    await ctx.measure('e', 'baseline: bare Fastify, same bytes', `c=${B_CONNECTIONS}, p=1, ${durationS} s, ${body.length} B body`, warmedLoad(ctx, url, B_CONNECTIONS))
    await ctx.measure('e-c10', 'baseline, 10 connections', `c=${FEW_CONNECTIONS}, p=1, ${durationS} s`, warmedLoad(ctx, url, FEW_CONNECTIONS))
    await ctx.measure('e-rate', 'baseline at a fixed rate', `c=${B_CONNECTIONS}, ${size.fixedRate} req/s, ${durationS} s`, warmedLoad(ctx, url, B_CONNECTIONS, size.fixedRate))
    if (ctx.options.groups.has('a')) {
      await ctx.measure('e-1000', 'baseline under the 1,000 x 10 settings', `c=${size.aConnections}, ${size.aAmount / size.aConnections} requests each`, {
        baseUrl: url,
        connections: size.aConnections,
        amount: ctx.warm.ids.length * 10,
        nextPath: cycle(ctx.warm.paths),
      })
    }
  } finally {
    await server.stop()
  }
}

/** The exact bytes the API serves for a cached product (identity, as autocannon asks for). */
async function cachedBody(ctx: SuiteContext): Promise<Buffer> {
  const res = await fetch(`${ctx.baseUrl}${ctx.warm.paths[0]}`)
  const body = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200 || res.headers.get('x-cache') !== 'HIT') throw new Error(`expected a cached 200, got ${res.status} ${res.headers.get('x-cache')}`)
  return body
}
