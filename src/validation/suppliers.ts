import { aliexpressFailure } from '../errors.ts'
import type { Market } from '../schemas/market.ts'
import type { Alternative, Listing, Supplier, SuppliersAnswer } from '../schemas/products.ts'
import type { LoadOptions, Outcome, ServiceContext, Timing } from './context.ts'
import { deriveKeywords } from './keywords.ts'
import { MIN_TITLE_SIMILARITY, matchListing, PRICE_BAND, reference } from './matching.ts'
import type { AliexpressProduct } from './sources.ts'

// Other AliExpress listings of the same product, compared with it on price, orders and feedback. The
// keyword search finds candidates; src/validation/matching.ts decides which are the same product.

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

/** Only a supplier with this positive feedback and these orders in 30 days can be a pick. */
export const PICK_RULE = { minPositiveFeedback: 90, minOrders: 10 } as const

/**
 * The search's listings split into the same product (suppliers, each with its similarity) and the rest
 * (alternatives, with why not); cheapest, mostOrders and bestFeedback chosen among trustworthy suppliers
 * only, so a bait price or another product can never be the pick. Pure.
 */
export function compareSuppliers(product: AliexpressProduct, keywords: string, market: Market, found: readonly AliexpressProduct[]): SuppliersAnswer {
  const ref = reference(product)
  const suppliers: Supplier[] = []
  const alternatives: Alternative[] = []
  for (const p of found) {
    if (p.productId === product.productId || (product.shop.id && p.shop.id === product.shop.id)) continue
    const { matched, mismatch, ...match } = matchListing(ref, p)
    const listing = toListing(p, product.price.sale)
    if (matched) suppliers.push({ ...listing, match })
    else alternatives.push({ ...listing, match, mismatch })
  }
  const trusted = suppliers.filter(
    (s) => (s.positiveFeedbackRate ?? 0) >= PICK_RULE.minPositiveFeedback && (s.ordersLast30Days ?? 0) >= PICK_RULE.minOrders,
  )
  const best = (score: (s: Supplier) => number | undefined) => {
    let top: Supplier | undefined
    for (const s of trusted) {
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
    suppliers,
    alternatives,
    criteria: {
      minTitleSimilarity: MIN_TITLE_SIMILARITY,
      priceBand: { ...PRICE_BAND },
      picks: `suppliers with at least ${PICK_RULE.minPositiveFeedback}% positive feedback and ${PICK_RULE.minOrders} orders in 30 days`,
    },
    cheapest: best((s) => (s.price.sale === undefined ? undefined : -s.price.sale)),
    mostOrders: best((s) => s.ordersLast30Days),
    bestFeedback: best((s) => s.positiveFeedbackRate),
  }
}
