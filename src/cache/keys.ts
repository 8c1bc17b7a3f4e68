import type { Market } from '../validation/sources.ts'

// Every key carries a version: a new parser or scoring version never reads an entry of the old shape.
const V = 'v1'

export const cacheKeys = {
  validation: (scoringVersion: string, productId: string, market: Market, keywords: string | undefined) =>
    `${V}:val:${scoringVersion}:${productId}:${market.country}:${market.currency}:${keywords ?? ''}`,
  aliexpress: (productId: string, market: Market) => `${V}:ae:${productId}:${market.country}:${market.currency}`,
  facebook: (terms: string, countries: readonly string[]) => `${V}:fb:${countries.join(',')}:${terms}`,
  youtube: (terms: string, region: string) => `${V}:yt:${region}:${terms}`,
  search: (keywords: string, page: number, pageSize: number, sort: string | undefined, market: Market) =>
    `${V}:search:${market.country}:${market.currency}:${sort ?? ''}:${page}:${pageSize}:${keywords}`,
  suppliers: (productId: string, market: Market) => `${V}:sup:${productId}:${market.country}:${market.currency}`,
}
