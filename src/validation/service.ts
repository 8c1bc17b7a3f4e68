import type { Cache, CacheStatus, Entry, Loaded } from '../cache/cache.ts'
import { cacheKeys } from '../cache/keys.ts'
import type { ScoringWeights } from '../config.ts'
import { AppError } from '../errors.ts'
import { deriveKeywords, normalizeTerms } from './keywords.ts'
import { SCORING_VERSION, scoreProduct } from './score.ts'
import type {
  AliexpressProduct,
  AliexpressSource,
  FacebookSource,
  Market,
  ProductSearch,
  ProductSearchPage,
  SourceResult,
  SourceStatus,
  YoutubeSource,
} from './sources.ts'
import type { SignalEnvelope, Validation } from './types.ts'

// The orchestration: AliExpress first (its title gives the search terms), then Meta and YouTube in
// parallel, each answer cached on its own key, the finished validation cached and persisted.

/** Past validations, read back on a cache miss so a restart does not spend upstream quota again. */
export interface ValidationArchive {
  latestValidation(productId: string, market: Market, now: Date): Promise<Validation | undefined>
}

/** Where finished validations go to be persisted; never awaited by a request. */
export interface ValidationSink {
  enqueue(validation: Validation): boolean
}

export interface ServiceOptions {
  aliexpress: AliexpressSource
  facebook: FacebookSource
  youtube: YoutubeSource
  cache: Cache
  archive?: ValidationArchive
  sink?: ValidationSink
  weights: ScoringWeights
  ttl: { validationMs: number; searchMs: number; suppliersMs: number }
  facebookCountries: readonly string[]
  sandbox: boolean
  now?: () => Date
  /** errors from the archive; the request carries on without it */
  onArchiveError?: (error: unknown) => void
}

export interface Timing {
  name: string
  durMs?: number
  desc?: string
}

export interface ValidationRequest {
  productId: string
  market: Market
  keywords?: string
}

export interface ValidationOutcome {
  validation: Validation
  cache: CacheStatus
  entry: Entry<Validation>
  key: string
  timings: Timing[]
}

export type BatchItemResult =
  | { input: string; status: 'ok'; validation: Validation; cache: CacheStatus }
  | { input: string; status: 'error'; error: { code: string; message: string } }

export interface BatchSummary {
  requested: number
  unique: number
  fromCache: number
  fetched: number
  failed: number
  durationMs: number
}

export interface SupplierListing {
  productId: string
  title: string
  url: string
  imageUrl?: string
  price: AliexpressProduct['price']
  ordersLast30Days?: number
  positiveFeedbackRate?: number
  shop: AliexpressProduct['shop']
  /** sale price relative to the product asked about: -0.12 is 12% cheaper */
  priceDelta?: number
}

export interface SuppliersAnswer {
  productId: string
  market: Market
  keywords: string
  product: SupplierListing
  suppliers: SupplierListing[]
  cheapest?: string
  mostOrders?: string
  bestFeedback?: string
}

// Failures are cached briefly so an outage is not hammered, never for the full TTL.
const FAILURE_TTL_MS: Record<Exclude<SourceStatus, 'ok'>, number> = {
  not_found: 10 * 60_000,
  unavailable: 15_000,
  rate_limited: 30_000,
  quota_exhausted: 60_000,
  not_configured: 60_000,
}
const DEGRADED_VALIDATION_TTL_MS = 60_000
const TRANSIENT: ReadonlySet<SourceStatus> = new Set(['unavailable', 'rate_limited', 'quota_exhausted'])

export function createValidationService(options: ServiceOptions) {
  const { cache, aliexpress, facebook, youtube } = options
  const now = options.now ?? (() => new Date())

  function ttlOf(result: SourceResult<unknown>, okTtl: number): number {
    return result.status === 'ok' ? okTtl : Math.min(okTtl, Math.max(FAILURE_TTL_MS[result.status], result.retryAfterMs ?? 0))
  }

  /** A source's answer with when it was fetched (its cache entry's time), timing recorded. */
  async function timed<T>(timings: Timing[], name: string, run: () => Promise<{ value: T; status: CacheStatus; entry: Entry<T> }>) {
    const started = performance.now()
    const { value, status, entry } = await run()
    timings.push(status === 'MISS' ? { name, durMs: performance.now() - started } : { name, desc: status.toLowerCase() })
    return { result: value, fetchedAt: entry.t }
  }

  function productResult(productId: string, market: Market, timings: Timing[]) {
    return timed(timings, 'aliexpress', () =>
      cache.getOrLoad(cacheKeys.aliexpress(productId, market), async (): Promise<Loaded<SourceResult<AliexpressProduct>>> => {
        const result = await aliexpress.getProducts([productId], market)
        const single = singleProduct(result, productId)
        return { value: single, ttlMs: ttlOf(single, options.ttl.validationMs) }
      }),
    )
  }

  function adStats(terms: string, timings: Timing[]) {
    return timed(timings, 'facebook', () =>
      cache.getOrLoad(cacheKeys.facebook(terms, options.facebookCountries), async () => {
        const value = await facebook.adStats(terms, now())
        return { value, ttlMs: ttlOf(value, options.ttl.validationMs) }
      }),
    )
  }

  function videoStats(terms: string, region: string, timings: Timing[]) {
    return timed(timings, 'youtube', () =>
      cache.getOrLoad(cacheKeys.youtube(terms, region), async () => {
        const value = await youtube.videoStats(terms, region, now())
        return { value, ttlMs: ttlOf(value, options.ttl.validationMs) }
      }),
    )
  }

  function attention(terms: string, region: string, timings: Timing[]) {
    return Promise.all([adStats(terms, timings), videoStats(terms, region, timings)])
  }
  type Attention = ReturnType<typeof attention>

  /**
   * Everything after the AliExpress product is known: terms derived from its title and the two
   * parallel sources (unless the caller's keywords already have them under way: `started`), score.
   */
  async function complete(
    product: AliexpressProduct,
    aeFetchedAt: number,
    req: ValidationRequest,
    timings: Timing[],
    started?: { keywords: string; attention: Attention },
  ): Promise<Loaded<Validation>> {
    const keywords = started?.keywords ?? deriveKeywords(product.title)
    const [facebookAnswer, youtubeAnswer] = await (started?.attention ?? attention(keywords, req.market.country, timings))
    const fb = facebookAnswer.result
    const yt = youtubeAnswer.result
    const at = now()
    const result = scoreProduct({ aliexpress: { status: 'ok', data: product }, facebook: fb, youtube: yt }, options.weights)
    const degraded = [fb.status, yt.status].some((s) => TRANSIENT.has(s))
    const ttlMs = degraded ? Math.min(DEGRADED_VALIDATION_TTL_MS, options.ttl.validationMs) : options.ttl.validationMs
    const validation: Validation = {
      productId: product.productId,
      market: req.market,
      product: {
        title: product.title,
        url: product.url,
        imageUrl: product.imageUrl,
        category: product.category,
        price: product.price,
        ordersLast30Days: product.ordersLast30Days,
        positiveFeedbackRate: product.positiveFeedbackRate,
        shop: { id: product.shop.id, url: product.shop.url },
      },
      keywords,
      signals: {
        aliexpress: {
          status: 'ok',
          fetchedAt: new Date(aeFetchedAt).toISOString(),
          data: {
            salePrice: product.price.sale,
            originalPrice: product.price.original,
            currency: product.price.currency,
            ordersLast30Days: product.ordersLast30Days,
            positiveFeedbackRate: product.positiveFeedbackRate,
            commissionRate: product.commissionRate,
          },
        },
        facebook: envelope(fb, facebookAnswer.fetchedAt),
        youtube: envelope(yt, youtubeAnswer.fetchedAt),
      },
      score: result.score,
      verdict: result.verdict,
      confidence: result.confidence,
      reasons: result.reasons,
      gates: result.gates,
      scoringVersion: result.scoringVersion,
      validatedAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + ttlMs).toISOString(),
      ...(options.sandbox ? { sandbox: true as const } : {}),
    }
    options.sink?.enqueue(validation)
    return { value: validation, ttlMs }
  }

  async function fromArchive(req: ValidationRequest): Promise<Loaded<Validation> | undefined> {
    if (!options.archive || req.keywords) return undefined
    try {
      const at = now()
      const stored = await options.archive.latestValidation(req.productId, req.market, at)
      if (!stored || stored.scoringVersion !== SCORING_VERSION) return undefined
      const ttlMs = Date.parse(stored.expiresAt) - at.getTime()
      return ttlMs > 1000 ? { value: stored, ttlMs } : undefined
    } catch (error) {
      options.onArchiveError?.(error)
      return undefined
    }
  }

  async function validate(req: ValidationRequest): Promise<ValidationOutcome> {
    const key = cacheKeys.validation(SCORING_VERSION, req.productId, req.market, req.keywords && normalizeTerms(req.keywords))
    const timings: Timing[] = []
    const lookup = await cache.getOrLoad(key, async () => {
      const archived = await fromArchive(req)
      if (archived) {
        timings.push({ name: 'database', desc: 'hit' })
        return archived
      }
      // The caller's keywords leave nothing to wait for: Meta and YouTube start with AliExpress, so
      // a miss costs the slowest source instead of AliExpress plus the slowest of the other two.
      // If the product then turns out not to exist, their answers stay cached under those terms.
      const terms = req.keywords && normalizeTerms(req.keywords)
      const started = terms ? { keywords: terms, attention: attention(terms, req.market.country, timings) } : undefined
      // Handled now, so that a failure while AliExpress is still out is not an unhandled rejection.
      started?.attention.catch(() => {})
      const { result: ae, fetchedAt } = await productResult(req.productId, req.market, timings)
      if (ae.status !== 'ok') throw aliexpressFailure(ae)
      return complete(ae.data, fetchedAt, req, timings, started)
    })
    if (lookup.status !== 'MISS') timings.push({ name: 'cache', desc: lookup.status.toLowerCase() })
    else if (timings.length === 0) timings.push({ name: 'cache', desc: 'coalesced' })
    return { validation: lookup.value, cache: lookup.status, entry: lookup.entry, key, timings }
  }

  /**
   * Up to 50 products: duplicates validated once, the AliExpress ids that are not cached fetched
   * several per call, the rest of each validation in parallel. Results in input order; `onResult`
   * sees each as soon as it is ready (for streaming).
   */
  async function validateBatch(
    inputs: readonly { input: string; productId?: string; error?: AppError }[],
    market: Market,
    onResult?: (index: number, result: BatchItemResult) => void,
  ): Promise<{ results: BatchItemResult[]; summary: BatchSummary }> {
    const started = performance.now()
    const results: BatchItemResult[] = new Array(inputs.length)
    const byId = new Map<string, number[]>()
    inputs.forEach((item, index) => {
      if (item.productId) byId.set(item.productId, [...(byId.get(item.productId) ?? []), index])
      else {
        const error = item.error ?? new AppError('INVALID_PRODUCT')
        results[index] = { input: item.input, status: 'error', error: { code: error.code, message: error.message } }
        onResult?.(index, results[index])
      }
    })
    const ids = [...byId.keys()]
    let fromCache = 0
    let fetched = 0

    // Which validations and which AliExpress products are already cached decides the one multi-id call.
    const cached = await Promise.all(
      ids.map(async (id) => {
        const entry = await cache.peek<Validation>(cacheKeys.validation(SCORING_VERSION, id, market, undefined))
        return entry && Date.now() < entry.s ? entry : undefined
      }),
    )
    const needProduct: string[] = []
    const aeCached = new Map<string, Entry<SourceResult<AliexpressProduct>>>()
    await Promise.all(
      ids.map(async (id, i) => {
        if (cached[i]) return
        const entry = await cache.peek<SourceResult<AliexpressProduct>>(cacheKeys.aliexpress(id, market))
        if (entry && Date.now() < entry.f) aeCached.set(id, entry)
        else needProduct.push(id)
      }),
    )
    if (needProduct.length > 0) {
      const many = await aliexpress.getProducts(needProduct, market)
      await Promise.all(
        needProduct.map(async (id) => {
          const single = singleProduct(many, id)
          aeCached.set(id, await cache.set(cacheKeys.aliexpress(id, market), { value: single, ttlMs: ttlOf(single, options.ttl.validationMs) }))
        }),
      )
    }

    const emit = (id: string, make: (input: string) => BatchItemResult) => {
      for (const index of byId.get(id) ?? []) {
        results[index] = make(inputs[index]!.input)
        onResult?.(index, results[index])
      }
    }
    await Promise.all(
      ids.map(async (id, i) => {
        try {
          const hit = cached[i]
          if (hit) {
            fromCache++
            // A stale entry goes through the single-product path: served at once, refreshed in the background.
            const served = Date.now() < hit.f ? { validation: hit.v, cache: 'HIT' as const } : await validate({ productId: id, market })
            emit(id, (input) => ({ input, status: 'ok', validation: served.validation, cache: served.cache }))
            return
          }
          const aeEntry = aeCached.get(id)!
          const ae = aeEntry.v
          if (ae.status !== 'ok') throw aliexpressFailure(ae)
          const req = { productId: id, market }
          const lookup = await cache.getOrLoad(cacheKeys.validation(SCORING_VERSION, id, market, undefined), async () => {
            return (await fromArchive(req)) ?? complete(ae.data, aeEntry.t, req, [])
          })
          if (lookup.status === 'MISS') fetched++
          else fromCache++
          emit(id, (input) => ({ input, status: 'ok', validation: lookup.value, cache: lookup.status }))
        } catch (err) {
          const error = err instanceof AppError ? err : new AppError('INTERNAL')
          emit(id, (input) => ({ input, status: 'error', error: { code: error.code, message: error.message } }))
        }
      }),
    )
    const failed = results.filter((r) => r.status === 'error').length
    return {
      results,
      summary: { requested: inputs.length, unique: ids.length, fromCache, fetched, failed, durationMs: Math.round(performance.now() - started) },
    }
  }

  async function searchProducts(search: ProductSearch, market: Market) {
    const keywords = normalizeTerms(search.keywords)
    const key = cacheKeys.search(keywords, search.page, search.pageSize, search.sort, market)
    const lookup = await cache.getOrLoad(key, async (): Promise<Loaded<SourceResult<ProductSearchPage>>> => {
      const value = await aliexpress.searchProducts({ ...search, keywords }, market)
      return { value, ttlMs: ttlOf(value, options.ttl.searchMs) }
    })
    const result = lookup.value
    if (result.status !== 'ok') throw aliexpressFailure(result)
    return { page: result.data, cache: lookup.status, entry: lookup.entry }
  }

  async function suppliers(productId: string, market: Market) {
    const timings: Timing[] = []
    const lookup = await cache.getOrLoad(cacheKeys.suppliers(productId, market), async (): Promise<Loaded<SuppliersAnswer>> => {
      const { result: ae } = await productResult(productId, market, timings)
      if (ae.status !== 'ok') throw aliexpressFailure(ae)
      const keywords = deriveKeywords(ae.data.title)
      const found = await aliexpress.searchProducts({ keywords, page: 1, pageSize: 50, sort: 'LAST_VOLUME_DESC' }, market)
      if (found.status !== 'ok') throw aliexpressFailure(found)
      return { value: compareSuppliers(ae.data, keywords, market, found.data.products), ttlMs: options.ttl.suppliersMs }
    })
    return { answer: lookup.value, cache: lookup.status, entry: lookup.entry, timings }
  }

  return { validate, validateBatch, searchProducts, suppliers, youtubeQuota: () => youtube.quota(now()) }
}

export type ValidationService = ReturnType<typeof createValidationService>

function singleProduct(result: SourceResult<Map<string, AliexpressProduct>>, productId: string): SourceResult<AliexpressProduct> {
  if (result.status !== 'ok') return result
  const product = result.data.get(productId)
  return product ? { status: 'ok', data: product } : { status: 'not_found', reason: `AliExpress returned no product ${productId}` }
}

function envelope<T>(result: SourceResult<T>, fetchedAt: number): SignalEnvelope<T> {
  const at = new Date(fetchedAt).toISOString()
  return result.status === 'ok' ? { status: 'ok', fetchedAt: at, data: result.data } : { status: result.status, fetchedAt: at, reason: result.reason }
}

export function aliexpressFailure(result: Exclude<SourceResult<unknown>, { status: 'ok' }>): AppError {
  switch (result.status) {
    case 'not_found':
      return new AppError('PRODUCT_NOT_FOUND', 'AliExpress has no such product (or it is not in the affiliate programme)')
    case 'rate_limited':
    case 'quota_exhausted':
      return new AppError('UPSTREAM_UNAVAILABLE', 'AliExpress is rate limiting us; try again shortly', {
        headers: { 'retry-after': String(Math.max(1, Math.ceil((result.retryAfterMs ?? 5000) / 1000))) },
      })
    case 'not_configured':
      return new AppError('UPSTREAM_ERROR', 'AliExpress rejected our credentials')
    case 'unavailable':
      return /timeout|deadline/i.test(result.reason)
        ? new AppError('UPSTREAM_TIMEOUT')
        : new AppError('UPSTREAM_UNAVAILABLE', 'AliExpress is unavailable; try again shortly', { headers: { 'retry-after': '5' } })
  }
}

function listing(p: AliexpressProduct, reference?: number): SupplierListing {
  const sale = p.price.sale
  return {
    productId: p.productId,
    title: p.title,
    url: p.url,
    imageUrl: p.imageUrl,
    price: p.price,
    ordersLast30Days: p.ordersLast30Days,
    positiveFeedbackRate: p.positiveFeedbackRate,
    shop: p.shop,
    ...(reference && sale !== undefined ? { priceDelta: Math.round(((sale - reference) / reference) * 1000) / 1000 } : {}),
  }
}

/** Other listings of the same product, compared with the one asked about. Pure. */
export function compareSuppliers(
  product: AliexpressProduct,
  keywords: string,
  market: Market,
  found: readonly AliexpressProduct[],
): SuppliersAnswer {
  const reference = product.price.sale
  const others = found.filter((p) => p.productId !== product.productId && (!product.shop.id || p.shop.id !== product.shop.id))
  const suppliers = others.map((p) => listing(p, reference))
  const best = (score: (s: SupplierListing) => number | undefined) => {
    let top: SupplierListing | undefined
    for (const s of suppliers) {
      const v = score(s)
      if (v !== undefined && (top === undefined || v > (score(top) ?? -Infinity))) top = s
    }
    return top?.productId
  }
  return {
    productId: product.productId,
    market,
    keywords,
    product: listing(product),
    suppliers,
    cheapest: best((s) => (s.price.sale === undefined ? undefined : -s.price.sale)),
    mostOrders: best((s) => s.ordersLast30Days),
    bestFeedback: best((s) => s.positiveFeedbackRate),
  }
}
