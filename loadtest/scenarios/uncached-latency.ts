import { criticalPath } from '../stats.ts'
import type { SuiteContext } from '../suite-context.ts'
import { cycle, ID_RANGES, ids, pool, validationPath } from '../traffic.ts'

/**
 * (u) Uncached latency at low concurrency: each request a product nobody asked for yet, with its
 * own search words as keywords (Meta and YouTube answers are cached by search words), so it waits
 * for all three upstreams, asked at once, but not for a queue. Then (u-title) the same without
 * keywords, as most callers ask: the terms come from the AliExpress title, so Meta and YouTube wait
 * for it, unless another product's title gave the same terms already.
 */
export async function uncachedLatency(ctx: SuiteContext): Promise<void> {
  const { size, baseUrl, local } = ctx
  const probe = ids(ID_RANGES.uncachedLatency, size.probeRequests + 10)
  const probePath = (id: string, i: number) => `${validationPath(id)}?keywords=${encodeURIComponent(`led lamp probe${i}`)}`
  const run = (id: string, title: string, what: string, paths: string[]) =>
    ctx.measure(id, title, `c=${size.probeConnections}, ${size.probeRequests} ${what}`, {
      baseUrl,
      connections: size.probeConnections,
      amount: size.probeRequests,
      nextPath: cycle(paths),
      countXCache: true,
    })

  await pool(probe.slice(0, 10), 10, async (id, i) => (await fetch(`${baseUrl}${probePath(id, i)}`)).arrayBuffer())
  const u = await run('u', 'uncached GET, latency probe', 'distinct products and search words', probe.slice(10).map((id, i) => probePath(id, i + 10)))
  if (local) {
    const { aliexpress, facebook, youtube } = local.sandbox
    const path = criticalPath({ aliexpress: aliexpress.behaviour, facebook: facebook.behaviour, youtube: youtube.behaviour })
    ctx.report.uncached = { p50Ms: u.latency.p50, criticalNominalMs: path.nominalMs, criticalMedianMs: path.medianMs }
  }
  const byTitle = ids(ID_RANGES.uncachedLatency + size.probeRequests + 10, size.probeRequests)
  await run('u-title', 'uncached GET, terms from the title', 'distinct products, no keywords', byTitle.map(validationPath))
}
