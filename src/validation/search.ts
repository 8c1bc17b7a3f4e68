import { aliexpressFailure } from '../errors.ts'
import type { Market } from '../schemas/market.ts'
import type { SearchAnswer, SearchSort } from '../schemas/products.ts'
import type { LoadOptions, Outcome, ServiceContext } from './context.ts'
import { normalizeTerms } from './keywords.ts'
import { toListing } from './suppliers.ts'
import type { ProductSearch } from './sources.ts'

// AliExpress keyword search, cached per normalized terms, page, size, sort and market.

export interface SearchRequest {
  search: ProductSearch
  market: Market
  key: string
}

export function searchRequest(
  ctx: Pick<ServiceContext, 'sources'>,
  input: { q: string; page: number; pageSize: number; sort?: SearchSort; market: Market },
): SearchRequest {
  const search = { keywords: normalizeTerms(input.q), page: input.page, pageSize: input.pageSize, sort: input.sort }
  return { search, market: input.market, key: ctx.sources.keys.search(search, input.market) }
}

export async function searchProducts(ctx: ServiceContext, req: SearchRequest, opts?: LoadOptions): Promise<Outcome<SearchAnswer>> {
  const started = performance.now()
  const lookup = await ctx.sources.search(req.search, req.market, opts)
  const result = lookup.value
  if (result.status !== 'ok') throw aliexpressFailure(result)
  const { page, pageSize, totalResults, products } = result.data
  return {
    value: { query: req.search.keywords, page, pageSize, totalResults, products: products.map((p) => toListing(p)) },
    status: lookup.status,
    entry: lookup.entry,
    timings: [lookup.status === 'MISS' ? { name: 'aliexpress', durMs: performance.now() - started } : { name: 'cache', desc: lookup.status.toLowerCase() }],
  }
}
