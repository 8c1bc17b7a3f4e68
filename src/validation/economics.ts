import type { Economics } from '../schemas/validation.ts'
import type { AliexpressProduct, ShippingQuote, SourceResult } from './sources.ts'

// The landed-cost model: what one unit costs delivered to the market, what it can sell for and what is
// left for ads. Pure. docs/scoring.md ("Landed cost") gives the reasoning and sources of each number.

/** The usual dropshipping markup, on the landed cost. */
export const MARKUP = { low: 2.5, high: 3 } as const
/** Shoppers can find the item on AliExpress: a price above this many times its cost is a hard sell. */
export const PRICE_CEILING = 4
/** A typical card payment fee per order (Shopify Payments' online rate, https://www.shopify.com/pricing). */
export const PAYMENT_FEE = { rate: 0.029, fixedUsd: 0.3 } as const

/**
 * Band edges in US dollars; other currencies are scaled by a rough, deliberately coarse factor. Shared
 * with the price-point part of the margin, so both read money the same way.
 */
export const MARGIN_CURRENCY_SCALE: Record<string, number> = { USD: 1, EUR: 1, GBP: 1, CHF: 1, CAD: 1.4, AUD: 1.5, NZD: 1.7 }

export function currencyScale(currency: string | undefined): number | undefined {
  return MARGIN_CURRENCY_SCALE[(currency ?? 'USD').toUpperCase()]
}

/**
 * The economics of one unit. Shipping counts only when the freight answer is in the price's currency;
 * without it nothing that depends on the landed cost is given, rather than a guess.
 */
export function economicsOf(product: AliexpressProduct | undefined, shipping: SourceResult<ShippingQuote> | undefined, marketCurrency: string): Economics {
  // A price without a currency is in USD, AliExpress's default; the market's only matters without a price.
  const currency = (product ? (product.price.currency ?? 'USD') : marketCurrency).toUpperCase()
  const scale = currencyScale(currency)
  const item = product?.price.sale !== undefined && product.price.sale > 0 ? product.price.sale : null
  const quote = shipping?.status === 'ok' && shipping.data.currency.toUpperCase() === currency ? shipping.data : undefined
  const economics: Economics = {
    currency,
    itemCost: item,
    shipping: { status: shipping === undefined ? 'not_configured' : shipping.status === 'ok' && !quote ? 'unavailable' : shipping.status, cost: quote?.cost ?? null },
    landedCost: null,
    suggestedPrice: null,
    grossMargin: null,
    breakEvenCpa: null,
    assumptions: {
      markup: { ...MARKUP },
      priceCeiling: PRICE_CEILING,
      paymentFeeRate: PAYMENT_FEE.rate,
      paymentFeeFixed: scale === undefined ? null : round2(PAYMENT_FEE.fixedUsd * scale),
    },
  }
  if (quote) {
    if (quote.carrier) economics.shipping.carrier = quote.carrier
    if (quote.minDays !== undefined) economics.shipping.minDays = quote.minDays
    if (quote.maxDays !== undefined) economics.shipping.maxDays = quote.maxDays
    if (quote.maxDays !== undefined) economics.shipping.daysSource = 'freight'
  } else if (product?.shipToDays !== undefined) {
    economics.shipping.maxDays = product.shipToDays
    economics.shipping.daysSource = 'affiliate'
  }
  if (item === null || !quote) return economics
  const landed = round2(item + quote.cost)
  const ceiling = PRICE_CEILING * item
  const high = round2(Math.min(MARKUP.high * landed, ceiling))
  economics.landedCost = landed
  economics.suggestedPrice = { low: round2(Math.min(MARKUP.low * landed, ceiling)), high }
  if (scale === undefined) return economics
  const left = high - landed - (high * PAYMENT_FEE.rate + PAYMENT_FEE.fixedUsd * scale)
  economics.breakEvenCpa = round2(left)
  economics.grossMargin = Math.round((left / high) * 1000) / 1000
  return economics
}

/** Gross margin at the suggested price: nothing left -> 0, half the price left or more -> 100. */
export function landedMarginCurve(grossMargin: number): number {
  return Math.max(0, Math.min(100, 200 * grossMargin))
}

/** Break-even cost per sale, in US dollars: $0 -> 0, linear to $25 -> 100. */
export const COMFORTABLE_CPA_USD = 25
export function adRoomCurve(cpaUsd: number): number {
  return Math.max(0, Math.min(100, (100 * cpaUsd) / COMFORTABLE_CPA_USD))
}

const round2 = (n: number) => Math.round(n * 100) / 100
