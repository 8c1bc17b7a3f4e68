import type { Cache, Entry, Loaded, Lookup } from '../cache/cache.ts'
import type { Market } from '../schemas/market.ts'
import { SCORING_VERSION } from './score.ts'
import type {
  AliexpressProduct,
  AliexpressSource,
  FacebookAdStats,
  FacebookSource,
  ProductSearch,
  ProductSearchPage,
  ShippingQuote,
  SourceResult,
  SourceStatus,
  YoutubeQuotaState,
  YoutubeSource,
  YoutubeStats,
} from './sources.ts'

// Every upstream answer and every finished answer is cached on a key of its own. This module owns
// the keys and how long each kind of answer lives; the rest of the service asks it for answers.

export interface SourceCacheOptions {
  cache: Cache
  aliexpress: AliexpressSource
  facebook: FacebookSource
  youtube: YoutubeSource
  ttl: { validationMs: number; searchMs: number; suppliersMs: number }
  /** where Meta is asked for ads: part of the key, since other countries give other counts */
  facebookCountries: readonly string[]
  /** sandbox answers live under keys of their own and can never be served as real ones */
  sandbox: boolean
  now(): Date
}

/** One Server-Timing entry: an upstream that was called (with its duration) or a cache answer. */
export interface Timing {
  name: string
  durMs?: number
  desc?: string
}

/** Skip every cached answer and ask the upstreams again. */
export interface LoadOptions {
  refresh?: boolean
  /** ends the upstream calls still running: the validation's overall deadline */
  signal?: AbortSignal
}

/** An upstream answer and when it was fetched (its cache entry's time). */
export interface Fetched<T> {
  result: SourceResult<T>
  fetchedAt: number
}

// A new entry shape, parser version or store codec bumps this, so no process ever reads an entry of the
// old shape. v4: entries are plain JSON (src/cache/stores.ts).
const KEY_VERSION = 'v4'

// Failures are cached briefly so an outage is not hammered, never for the full TTL.
const FAILURE_TTL_MS: Record<Exclude<SourceStatus, 'ok'>, number> = {
  not_found: 10 * 60_000,
  unavailable: 15_000,
  rate_limited: 30_000,
  quota_exhausted: 60_000,
  not_configured: 60_000,
}
const TRANSIENT: ReadonlySet<string> = new Set(['unavailable', 'rate_limited', 'quota_exhausted'])

/** A source answer that says "not now" rather than "no": a stale answer beats it (stale-if-error). */
export function isTransientFailure(value: unknown): boolean {
  const result = value as { status?: unknown; reason?: unknown } | undefined
  return typeof result?.status === 'string' && typeof result.reason === 'string' && TRANSIENT.has(result.status)
}

/** A validation missing a source that may come back is kept only this long. */
const DEGRADED_VALIDATION_TTL_MS = 60_000
/** Shipping to a country changes slowly; the freight API costs two calls. */
export const FREIGHT_TTL_MS = 24 * 3_600_000

/**
 * Product-scoped keys share the prefix `productPrefix(id)`, so one product can be dropped from every
 * layer at once; Meta and YouTube answers are keyed by search terms, which products share.
 */
export function cacheKeys(sandbox: boolean) {
  const base = `${KEY_VERSION}:${sandbox ? 'sandbox' : 'live'}`
  const product = (id: string) => `${base}:p:${id}:`
  return {
    productPrefix: product,
    validation: (productId: string, market: Market, terms: string | undefined) =>
      `${product(productId)}val:${SCORING_VERSION}:${market.country}:${market.currency}:${terms ?? ''}`,
    aliexpress: (productId: string, market: Market) => `${product(productId)}ae:${market.country}:${market.currency}`,
    suppliers: (productId: string, market: Market) => `${product(productId)}sup:${market.country}:${market.currency}`,
    freight: (productId: string, market: Market) => `${product(productId)}ship:${market.country}:${market.currency}`,
    facebook: (terms: string, countries: readonly string[]) => `${base}:fb:${countries.join(',')}:${terms}`,
    youtube: (terms: string, region: string) => `${base}:yt:${region}:${terms}`,
    search: (search: ProductSearch, market: Market) =>
      `${base}:search:${market.country}:${market.currency}:${search.sort ?? ''}:${search.page}:${search.pageSize}:${search.keywords}`,
  }
}
export type CacheKeys = ReturnType<typeof cacheKeys>

export interface SourceCache {
  keys: CacheKeys
  /** where Meta is asked for ads, whatever the market */
  facebookCountries: readonly string[]
  product(productId: string, market: Market, timings: Timing[], opts?: LoadOptions): Promise<Fetched<AliexpressProduct>>
  adStats(terms: string, timings: Timing[], opts?: LoadOptions): Promise<Fetched<FacebookAdStats>>
  videoStats(terms: string, region: string, timings: Timing[], opts?: LoadOptions): Promise<Fetched<YoutubeStats>>
  /** shipping of one unit to the market, cached FREIGHT_TTL_MS per product and market */
  freight(productId: string, market: Market, timings: Timing[], opts?: LoadOptions): Promise<Fetched<ShippingQuote>>
  /**
   * The products of a batch: fresh cached ones as they are, the rest in one multi-id call (the
   * affiliate API takes several ids a call), each stored on its own key.
   */
  products(ids: readonly string[], market: Market): Promise<Map<string, Entry<SourceResult<AliexpressProduct>>>>
  search(search: ProductSearch, market: Market, opts?: LoadOptions): Promise<Lookup<SourceResult<ProductSearchPage>>>
  /** A finished answer (a validation, a suppliers list) on its own key. */
  answer<T>(key: string, load: () => Promise<Loaded<T>>, opts?: LoadOptions): Promise<Lookup<T>>
  peek<T>(key: string): Promise<Entry<T> | undefined>
  /**
   * Every cached answer about one product: its own keys (validations in every market and keyword
   * variant, the AliExpress entry, suppliers) and the Meta and YouTube answers its validations used.
   * `keysWithPrefix` lists what a cache layer holds.
   */
  productKeys(productId: string, keysWithPrefix: (prefix: string) => Promise<string[]>): Promise<string[]>
  validationTtlMs(degraded: boolean): number
  suppliersTtlMs(): number
  youtubeQuota(): Promise<YoutubeQuotaState>
}

export function createSourceCache(options: SourceCacheOptions): SourceCache {
  const { cache, ttl } = options
  const keys = cacheKeys(options.sandbox)

  function ttlOf(result: SourceResult<unknown>, okTtl: number): number {
    return result.status === 'ok' ? okTtl : Math.min(okTtl, Math.max(FAILURE_TTL_MS[result.status], result.retryAfterMs ?? 0))
  }

  /** One source's answer through the cache, its Server-Timing entry recorded. */
  async function timed<T>(
    timings: Timing[],
    name: string,
    key: string,
    fetch: () => Promise<SourceResult<T>>,
    opts?: LoadOptions,
    okTtlMs = ttl.validationMs,
  ): Promise<Fetched<T>> {
    const started = performance.now()
    const load = async (): Promise<Loaded<SourceResult<T>>> => {
      const value = await fetch()
      return { value, ttlMs: ttlOf(value, okTtlMs) }
    }
    const { value, status, entry } = await cache.getOrLoad(key, load, opts)
    timings.push(status === 'MISS' ? { name, durMs: performance.now() - started } : { name, desc: status.toLowerCase() })
    return { result: value, fetchedAt: entry.storedAt }
  }

  const productEntry = (productId: string, result: SourceResult<Map<string, AliexpressProduct>>) => {
    const single = singleProduct(result, productId)
    return { value: single, ttlMs: ttlOf(single, ttl.validationMs) }
  }

  return {
    keys,
    facebookCountries: options.facebookCountries,
    product: (productId, market, timings, opts) =>
      timed(timings, 'aliexpress', keys.aliexpress(productId, market), async () => singleProduct(await options.aliexpress.getProducts([productId], market, opts?.signal), productId), opts),

    adStats: (terms, timings, opts) =>
      timed(timings, 'facebook', keys.facebook(terms, options.facebookCountries), () => options.facebook.adStats(terms, options.now(), opts?.signal), opts),

    videoStats: (terms, region, timings, opts) =>
      timed(timings, 'youtube', keys.youtube(terms, region), () => options.youtube.videoStats(terms, region, options.now(), opts?.signal), opts),

    freight: (productId, market, timings, opts) =>
      timed(timings, 'aliexpress-freight', keys.freight(productId, market), () => options.aliexpress.freight(productId, market, opts?.signal), opts, FREIGHT_TTL_MS),

    async products(ids, market) {
      const found = new Map<string, Entry<SourceResult<AliexpressProduct>>>()
      const stale = new Map<string, Entry<SourceResult<AliexpressProduct>>>()
      const missing: string[] = []
      await Promise.all(
        ids.map(async (id) => {
          const entry = await cache.peek<SourceResult<AliexpressProduct>>(keys.aliexpress(id, market))
          if (entry && Date.now() < entry.freshUntil) found.set(id, entry)
          else missing.push(id)
          if (entry && Date.now() < entry.staleUntil && !isTransientFailure(entry.value)) stale.set(id, entry)
        }),
      )
      if (missing.length === 0) return found
      const many = await options.aliexpress.getProducts(missing, market)
      // stale-if-error, as the cache does for single loads: a failure for now does not replace what we had.
      const keep = isTransientFailure(many)
      await Promise.all(
        missing.map(async (id) => {
          const old = keep ? stale.get(id) : undefined
          found.set(id, old ?? (await cache.set(keys.aliexpress(id, market), productEntry(id, many))))
        }),
      )
      return found
    },

    search: (search, market, opts) =>
      cache.getOrLoad(
        keys.search(search, market),
        async () => {
          const value = await options.aliexpress.searchProducts(search, market)
          return { value, ttlMs: ttlOf(value, ttl.searchMs) }
        },
        opts,
      ),

    answer: (key, load, opts) => cache.getOrLoad(key, load, opts),
    peek: (key) => cache.peek(key),
    async productKeys(productId, keysWithPrefix) {
      const own = await keysWithPrefix(keys.productPrefix(productId))
      const validationPrefix = `${keys.productPrefix(productId)}val:`
      const related = await Promise.all(
        own
          .filter((key) => key.startsWith(validationPrefix))
          .map(async (key) => {
            const entry = await cache.peek<{ keywords: string; market: Market }>(key)
            return entry ? [keys.facebook(entry.value.keywords, options.facebookCountries), keys.youtube(entry.value.keywords, entry.value.market.country)] : []
          }),
      )
      return [...new Set([...own, ...related.flat()])]
    },
    validationTtlMs: (degraded) => (degraded ? Math.min(DEGRADED_VALIDATION_TTL_MS, ttl.validationMs) : ttl.validationMs),
    suppliersTtlMs: () => ttl.suppliersMs,

    youtubeQuota: () => options.youtube.quota(options.now()),
  }
}

function singleProduct(result: SourceResult<Map<string, AliexpressProduct>>, productId: string): SourceResult<AliexpressProduct> {
  if (result.status !== 'ok') return result
  const product = result.data.get(productId)
  return product ? { status: 'ok', data: product } : { status: 'not_found', reason: `AliExpress returned no product ${productId}` }
}
