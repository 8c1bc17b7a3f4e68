import type { CacheStatus, Entry } from '../cache/cache.ts'
import { AppError, aliexpressFailure } from '../errors.ts'
import type { Market } from '../schemas/market.ts'
import type { BatchSummary, Validation } from '../schemas/validation.ts'
import type { ServiceContext } from './context.ts'
import type { AliexpressProduct, SourceResult } from './sources.ts'
import { complete, fromArchive, validate, validationRequest } from './validate.ts'

// Up to 50 products: duplicates validated once, the AliExpress products that are not cached fetched
// several per call, the rest of each validation in parallel. Results keep the input order; `onResult`
// sees each as soon as it is ready (for streaming).

export interface BatchItem {
  input: string
  /** absent when the input named no product; `error` says why */
  productId?: string
  error?: AppError
}

export type BatchItemResult =
  | { input: string; status: 'ok'; validation: Validation; cache: CacheStatus }
  | { input: string; status: 'error'; error: { code: string; message: string } }

export interface BatchAnswer {
  results: BatchItemResult[]
  summary: BatchSummary
}

export async function validateBatch(
  ctx: ServiceContext,
  items: readonly BatchItem[],
  market: Market,
  onResult?: (index: number, result: BatchItemResult) => void,
): Promise<BatchAnswer> {
  const started = performance.now()
  const results: BatchItemResult[] = new Array(items.length)
  const emit = (index: number, result: BatchItemResult) => {
    results[index] = result
    onResult?.(index, result)
  }
  const byId = new Map<string, number[]>()
  items.forEach((item, index) => {
    if (item.productId) byId.set(item.productId, [...(byId.get(item.productId) ?? []), index])
    else emit(index, failed(item.input, item.error ?? new AppError('INVALID_PRODUCT')))
  })
  const ids = [...byId.keys()]

  // Which validations are cached decides which products the one multi-id AliExpress call asks for.
  const requests = new Map(ids.map((id) => [id, validationRequest(ctx.sources, { productId: id, market })]))
  const cached = await Promise.all(ids.map((id) => servableValidation(ctx, requests.get(id)!.key)))
  const products = await ctx.sources.products(
    ids.filter((_, i) => !cached[i]),
    market,
  )

  let fromCache = 0
  let fetched = 0
  await Promise.all(
    ids.map(async (id, i) => {
      let result: (input: string) => BatchItemResult
      try {
        const answer = await answerOne(ctx, requests.get(id)!, cached[i], products.get(id))
        if (answer.cache === 'MISS') fetched++
        else fromCache++
        result = (input) => ({ input, status: 'ok', ...answer })
      } catch (err) {
        const error = err instanceof AppError ? err : new AppError('INTERNAL')
        result = (input) => failed(input, error)
      }
      for (const index of byId.get(id)!) emit(index, result(items[index]!.input))
    }),
  )
  const summary = {
    requested: items.length,
    unique: ids.length,
    fromCache,
    fetched,
    failed: results.filter((r) => r.status === 'error').length,
    durationMs: Math.round(performance.now() - started),
  }
  return { results, summary }
}

async function servableValidation(ctx: ServiceContext, key: string): Promise<Entry<Validation> | undefined> {
  const entry = await ctx.sources.peek<Validation>(key)
  return entry && Date.now() < entry.staleUntil ? entry : undefined
}

async function answerOne(
  ctx: ServiceContext,
  req: ReturnType<typeof validationRequest>,
  cached: Entry<Validation> | undefined,
  product: Entry<SourceResult<AliexpressProduct>> | undefined,
): Promise<{ validation: Validation; cache: CacheStatus }> {
  if (cached && Date.now() < cached.freshUntil) return { validation: cached.value, cache: 'HIT' }
  // A stale entry goes through the single-product path: served at once, refreshed in the background.
  if (cached) {
    const outcome = await validate(ctx, req)
    return { validation: outcome.value, cache: outcome.status }
  }
  const ae = product!.value
  if (ae.status !== 'ok') throw aliexpressFailure(ae)
  const lookup = await ctx.sources.answer(
    req.key,
    async () => (await fromArchive(ctx, req)) ?? complete(ctx, { product: ae.data, fetchedAt: product!.storedAt, market: req.market, timings: [] }),
  )
  return { validation: lookup.value, cache: lookup.status }
}

function failed(input: string, error: AppError): BatchItemResult {
  return { input, status: 'error', error: { code: error.code, message: error.message } }
}
