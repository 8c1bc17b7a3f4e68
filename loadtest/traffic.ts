import { sandboxIdOfKind } from '../src/sandbox/catalogue.ts'

// The product ids and the plain (non-autocannon) traffic of the suite: warming, batches, the fill.

const KINDS = ['strong', 'average', 'weak'] as const

/**
 * The n-th known sandbox product. Each scenario takes its own range of n, so no scenario finds
 * another's products already cached.
 */
export function productId(n: number): string {
  return sandboxIdOfKind(KINDS[n % KINDS.length]!, Math.floor(n / KINDS.length))
}

export const ID_RANGES = {
  uncachedLatency: 0,
  uncached: 1_000_000,
  warm: 2_000_000,
  batches: 3_000_000,
  zipf: 4_000_000,
  fill: 5_000_000,
  profile: 6_000_000,
} as const

export function ids(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => productId(from + i))
}

export const validationPath = (id: string) => `/api/v1/products/${id}/validation`

export interface BatchOutcome {
  ms: number
  status: number
  failed: number
}

export async function postBatch(baseUrl: string, products: readonly string[]): Promise<BatchOutcome> {
  const started = performance.now()
  const res = await fetch(`${baseUrl}/api/v1/validations/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'identity' },
    body: JSON.stringify({ products }),
  })
  const text = await res.text()
  const ms = performance.now() - started
  if (res.status !== 200) return { ms, status: res.status, failed: products.length }
  const { summary } = JSON.parse(text) as { summary: { failed: number } }
  return { ms, status: res.status, failed: summary.failed }
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
  return results
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Caches the products through the batch endpoint, then GETs each once so the API keeps their
 * prepared bytes: after this every GET of them is the hot path.
 */
export async function warm(baseUrl: string, products: readonly string[]): Promise<void> {
  const batches = await pool(chunks(products, 50), 8, (batch) => postBatch(baseUrl, batch))
  const failedBatches = batches.filter((b) => b.status !== 200 || b.failed > 0)
  if (failedBatches.length > 0) throw new Error(`warming failed: ${failedBatches.length} batches with errors (first status ${failedBatches[0]!.status})`)
  await pool(products, 32, async (id) => {
    const res = await fetch(`${baseUrl}${validationPath(id)}`)
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`warming GET ${id} answered ${res.status}`)
  })
}

/** The paths in turn, round and round: autocannon's `nextPath`. */
export function cycle(paths: readonly string[]): () => string {
  let i = 0
  return () => paths[i++ % paths.length]!
}
