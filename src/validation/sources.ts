import type { Market } from '../schemas/market.ts'
import type { SearchSort } from '../schemas/products.ts'
import type { FacebookAdStats, ShippingQuote, SourceStatus, YoutubeStats } from '../schemas/validation.ts'

// The validation service owns these interfaces; the adapters in src/sources/ implement them.

export type { FacebookAdStats, Market, SearchSort, ShippingQuote, SourceStatus, YoutubeStats }

export interface SourceFailure {
  status: Exclude<SourceStatus, 'ok'>
  /** a short, credential-free sentence for logs and the reasons list */
  reason: string
  /** when the upstream said how long to wait */
  retryAfterMs?: number
  /** the upstream itself failed (no answer, 5xx, an unreadable body): what its circuit breaker counts */
  outage?: boolean
}

export type SourceResult<T> = { status: 'ok'; data: T } | SourceFailure

export interface AliexpressProduct {
  productId: string
  title: string
  url: string
  imageUrl?: string
  category?: string
  categoryId?: string
  /** AliExpress's top-level category (e.g. 44 Consumer Electronics): listings of one product share it */
  firstLevelCategoryId?: string
  price: { sale?: number; original?: number; currency?: string }
  ordersLast30Days?: number
  /** percent, 0-100 */
  positiveFeedbackRate?: number
  /** percent, 0-100 */
  commissionRate?: number
  shop: { id?: string; url?: string; name?: string }
  promotionUrl?: string
  /** AliExpress's delivery estimate in days to the country asked about (its free-text `ship_to_days`) */
  shipToDays?: number
}

export interface ProductSearch {
  keywords: string
  page: number
  pageSize: number
  sort?: SearchSort
}

export interface ProductSearchPage {
  products: AliexpressProduct[]
  page: number
  pageSize: number
  /** as reported by AliExpress; absent when it did not say */
  totalResults?: number
}

/** One budget an upstream imposes (a daily quota, an hourly usage share), as far as we count it. */
export interface SourceBudget {
  name: string
  used: number
  limit: number
  /** ISO instant of the next reset, when there is one */
  resetsAt?: string
}

/** What health, stats and metrics say about a source, read on demand. */
export interface SourceState {
  /** the circuit breaker's state: `open` means the source is skipped until `retryAt` */
  circuit: 'closed' | 'open' | 'half_open'
  retryAt?: string
  /** the upstream asked us to slow down (rate limit, usage threshold): no calls until then */
  pausedUntil?: string
  budgets: SourceBudget[]
}

/** Every source can say how it stands. */
export interface StatefulSource {
  state(now: Date): Promise<SourceState>
}

export interface AliexpressSource extends StatefulSource {
  /**
   * Product details for several ids in as few calls as the API allows. Ids AliExpress did not return
   * (unknown, delisted, not in the affiliate programme) are simply absent from the map.
   */
  getProducts(ids: readonly string[], market: Market, signal?: AbortSignal): Promise<SourceResult<Map<string, AliexpressProduct>>>
  searchProducts(search: ProductSearch, market: Market, signal?: AbortSignal): Promise<SourceResult<ProductSearchPage>>
  /**
   * The cheapest delivery of one unit to the market's country, in its currency. The freight API belongs
   * to AliExpress's dropshipping programme and needs a dropshipper's session token: without one this is
   * `not_configured`, never an estimate.
   */
  freight(productId: string, market: Market, signal?: AbortSignal): Promise<SourceResult<ShippingQuote>>
}

export interface FacebookSource extends StatefulSource {
  /** Active ads matching the terms in the configured EU/UK countries. */
  adStats(terms: string, now: Date, signal?: AbortSignal): Promise<SourceResult<FacebookAdStats>>
}

export interface YoutubeQuotaState {
  searchesLeft: number
  unitsLeft: number
  /** ISO time of the next reset (midnight Pacific) */
  resetsAt: string
}

export interface YoutubeSource extends StatefulSource {
  videoStats(terms: string, regionCode: string, now: Date, signal?: AbortSignal): Promise<SourceResult<YoutubeStats>>
  quota(now: Date): Promise<YoutubeQuotaState>
}
