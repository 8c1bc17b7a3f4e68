import { setTimeout as sleep } from 'node:timers/promises'
import type { Behaviour } from '../../src/sandbox/behaviour.ts'
import { ADMIN_KEY } from '../api-child.ts'
import { rssBytes } from '../processes.ts'
import type { MemoryBreakdown, SuiteReport } from '../report.ts'
import { BATCH } from '../sizes.ts'
import type { LocalTarget, SuiteContext } from '../suite-context.ts'
import { chunks, ID_RANGES, ids, pool, postBatch } from '../traffic.ts'

type MemoryReport = NonNullable<SuiteReport['memory']>

/**
 * (d-memory) 100,000 distinct products cached through the batch endpoint with the sandbox answering
 * in ~1 ms (the latency is not what is measured here), then the API's RSS against the configured
 * bound. Only with the API as a child: an external one's memory is not ours to read.
 */
export async function memoryFill(ctx: SuiteContext): Promise<void> {
  if (!ctx.local) return
  const products = ctx.size.fillProducts
  const { log } = ctx
  log(`--- d-memory: caching ${products} distinct products in batches of ${BATCH}`)
  const { api } = ctx.local
  const beforeFillRssBytes = await rssBytes(api.pid)
  const started = performance.now()
  const { failed, rssSeries } = await withFastUpstreams(ctx.local, () => fill(ctx.baseUrl, ctx.local!, products, log))
  const fillSeconds = (performance.now() - started) / 1000
  await sleep(2_000)
  const afterFillRssBytes = await rssBytes(api.pid)
  const peakRssBytes = await rssBytes(api.pid, 'VmHWM')
  const breakdown = await memoryBreakdown(ctx.baseUrl)
  log(`[d-memory] ${products} products in ${fillSeconds.toFixed(0)} s (${failed} failed); RSS ${(afterFillRssBytes / 1_048_576).toFixed(1)} MiB`)
  if (failed > 0) throw new Error(`the cache fill had ${failed} failed items`)
  const { startupRssBytes } = ctx.local
  const { cacheMemoryMaxBytes } = ctx.options
  ctx.report.memory = { products, fillSeconds, startupRssBytes, beforeFillRssBytes, afterFillRssBytes, peakRssBytes, cacheMemoryMaxBytes, breakdown, rssSeries }
}

async function withFastUpstreams<T>(local: LocalTarget, work: () => Promise<T>): Promise<T> {
  const servers = [local.sandbox.aliexpress, local.sandbox.facebook, local.sandbox.youtube]
  const saved: Behaviour[] = servers.map((s) => ({ ...s.behaviour }))
  for (const s of servers) s.setBehaviour({ latencyMs: 1, jitterMs: 0 })
  try {
    return await work()
  } finally {
    servers.forEach((s, i) => {
      s.behaviour = saved[i]!
    })
  }
}

/** Sends the products in batches, 16 at a time, sampling RSS at every tenth: once the cache is full, a fixed overhead shows as a plateau. */
async function fill(baseUrl: string, local: LocalTarget, products: number, log: (line: string) => void): Promise<Pick<MemoryReport, 'rssSeries'> & { failed: number }> {
  let done = 0
  let failed = 0
  const rssSeries: MemoryReport['rssSeries'] = []
  const step = Math.max(BATCH, Math.floor(products / 10))
  let nextSample = step
  const ticker = setInterval(() => log(`[d-memory] ${done}/${products} products, ${failed} failed`), 1_000)
  try {
    await pool(chunks(ids(ID_RANGES.fill, products), BATCH), 16, async (batch) => {
      const outcome = await postBatch(baseUrl, batch)
      done += batch.length
      failed += outcome.failed
      if (done >= nextSample) {
        nextSample += step
        rssSeries.push({ products: done, rssBytes: await rssBytes(local.api.pid) })
      }
    })
  } finally {
    clearInterval(ticker)
  }
  return { failed, rssSeries }
}

/** Where the API's memory is, from its own /metrics: V8 heap, memory outside it, and what the caches count. */
async function memoryBreakdown(baseUrl: string): Promise<MemoryBreakdown> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: { 'x-admin-key': ADMIN_KEY } })
  const text = await res.text()
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`)
  const value = (series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `))
    if (!line) throw new Error(`/metrics has no ${series}`)
    return Number(line.slice(series.length + 1))
  }
  return {
    heapTotalBytes: value('nodejs_heap_size_total_bytes'),
    heapUsedBytes: value('nodejs_heap_size_used_bytes'),
    externalBytes: value('nodejs_external_memory_bytes'),
    cacheEntriesBytes: value('dropforge_cache_bytes{layer="entries"}'),
    cachePreparedBytes: value('dropforge_cache_bytes{layer="prepared"}'),
  }
}
