import { aliexpressFailure } from '../errors.ts'
import type { Market } from '../schemas/market.ts'
import type { Listing, SuppliersAnswer } from '../schemas/products.ts'
import type { LoadOptions, Outcome, ServiceContext, Timing } from './context.ts'
import { deriveKeywords } from './keywords.ts'
import type { AliexpressProduct } from './sources.ts'

// Other AliExpress listings of a product, compared with it on price, orders and feedback.

export interface SuppliersRequest {
  productId: string
  market: Market
  key: string
}

export function suppliersRequest(ctx: Pick<ServiceContext, 'sources'>, input: { productId: string; market: Market }): SuppliersRequest {
  return { ...input, key: ctx.sources.keys.suppliers(input.productId, input.market) }
}

export async function suppliers(ctx: ServiceContext, req: SuppliersRequest, opts?: LoadOptions): Promise<Outcome<SuppliersAnswer>> {
  const timings: Timing[] = []
  const lookup = await ctx.sources.answer(
    req.key,
    async () => {
      const { result: ae } = await ctx.sources.product(req.productId, req.market, timings, opts)
      if (ae.status !== 'ok') throw aliexpressFailure(ae)
      const keywords = deriveKeywords(ae.data.title)
      const started = performance.now()
      const found = await ctx.sources.search({ keywords, page: 1, pageSize: 50, sort: 'LAST_VOLUME_DESC' }, req.market, opts)
      if (found.status === 'MISS') timings.push({ name: 'aliexpress-search', durMs: performance.now() - started })
      if (found.value.status !== 'ok') throw aliexpressFailure(found.value)
      return { value: compareSuppliers(ae.data, keywords, req.market, found.value.data.products), ttlMs: ctx.sources.suppliersTtlMs() }
    },
    opts,
  )
  if (lookup.status !== 'MISS' || timings.length === 0) timings.push({ name: 'cache', desc: lookup.status === 'MISS' ? 'coalesced' : lookup.status.toLowerCase() })
  return { value: lookup.value, status: lookup.status, entry: lookup.entry, timings }
}

export function toListing(p: AliexpressProduct, reference?: number): Listing {
  const sale = p.price.sale
  return {
    ...p,
    ...(reference && sale !== undefined ? { priceDelta: Math.round(((sale - reference) / reference) * 1000) / 1000 } : {}),
  }
}

/** Other listings of the same product, compared with the one asked about. Pure. */
export function compareSuppliers(product: AliexpressProduct, keywords: string, market: Market, found: readonly AliexpressProduct[]): SuppliersAnswer {
  const reference = product.price.sale
  const others = found.filter((p) => p.productId !== product.productId && (!product.shop.id || p.shop.id !== product.shop.id))
  const listings = others.map((p) => toListing(p, reference))
  const best = (score: (s: Listing) => number | undefined) => {
    let top: Listing | undefined
    for (const s of listings) {
      const v = score(s)
      if (v !== undefined && (top === undefined || v > (score(top) ?? -Infinity))) top = s
    }
    return top?.productId
  }
  return {
    productId: product.productId,
    market,
    keywords,
    product: toListing(product),
    suppliers: listings,
    cheapest: best((s) => (s.price.sale === undefined ? undefined : -s.price.sale)),
    mostOrders: best((s) => s.ordersLast30Days),
    bestFeedback: best((s) => s.positiveFeedbackRate),
  }
}
