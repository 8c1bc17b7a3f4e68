// The validation service owns these interfaces; the adapters in src/sources/ implement them.

export type SourceStatus = 'ok' | 'not_found' | 'unavailable' | 'rate_limited' | 'quota_exhausted' | 'not_configured'

export interface SourceFailure {
  status: Exclude<SourceStatus, 'ok'>
  /** a short, credential-free sentence for logs and the reasons list */
  reason: string
  /** when the upstream said how long to wait */
  retryAfterMs?: number
}

export type SourceResult<T> = { status: 'ok'; data: T } | SourceFailure

export interface Market {
  /** ISO 3166 alpha-2, upper case */
  country: string
  /** ISO 4217, upper case */
  currency: string
}

export interface AliexpressProduct {
  productId: string
  title: string
  url: string
  imageUrl?: string
  category?: string
  categoryId?: string
  price: { sale?: number; original?: number; currency?: string }
  ordersLast30Days?: number
  /** percent, 0-100 */
  positiveFeedbackRate?: number
  /** percent, 0-100 */
  commissionRate?: number
  shop: { id?: string; url?: string; name?: string }
  promotionUrl?: string
}

export type SearchSort = 'SALE_PRICE_ASC' | 'SALE_PRICE_DESC' | 'LAST_VOLUME_ASC' | 'LAST_VOLUME_DESC'

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

export interface AliexpressSource {
  /**
   * Product details for several ids in as few calls as the API allows. Ids AliExpress did not return
   * (unknown, delisted, not in the affiliate programme) are simply absent from the map.
   */
  getProducts(ids: readonly string[], market: Market, signal?: AbortSignal): Promise<SourceResult<Map<string, AliexpressProduct>>>
  searchProducts(search: ProductSearch, market: Market, signal?: AbortSignal): Promise<SourceResult<ProductSearchPage>>
}

export interface FacebookAdStats {
  activeAds: number
  advertisers: number
  medianAdAgeDays: number | null
  longestRunningAdDays: number | null
  newAdsLast7Days: number
  /** true when the page cap stopped the count before the last page */
  truncated: boolean
}

export interface FacebookSource {
  /** Active ads matching the terms in the configured EU/UK countries. */
  adStats(terms: string, now: Date, signal?: AbortSignal): Promise<SourceResult<FacebookAdStats>>
}

export interface YoutubeStats {
  videos: number
  totalViews: number
  medianViews: number | null
  topVideoViews: number | null
  videosLast30Days: number
  viewsLast30Days: number
}

export interface YoutubeQuotaState {
  searchesLeft: number
  unitsLeft: number
  /** ISO time of the next reset (midnight Pacific) */
  resetsAt: string
}

export interface YoutubeSource {
  videoStats(terms: string, regionCode: string, now: Date, signal?: AbortSignal): Promise<SourceResult<YoutubeStats>>
  quota(now: Date): Promise<YoutubeQuotaState>
}
