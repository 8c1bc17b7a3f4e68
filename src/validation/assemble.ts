import type { ScoringWeights } from '../config.ts'
import type { Market } from '../schemas/market.ts'
import type { SignalEnvelope, Validation } from '../schemas/validation.ts'
import { marketReasons } from './market-reasons.ts'
import { scoreProduct } from './score.ts'
import type { Fetched } from './source-cache.ts'
import type { AliexpressProduct, FacebookAdStats, ShippingQuote, SourceResult, SourceStatus, YoutubeStats } from './sources.ts'

// The validation object from its signals. Pure: the clock and the answers come in as arguments.

export interface Signals {
  product: AliexpressProduct
  /** when the AliExpress answer was fetched */
  productFetchedAt: number
  keywords: string
  facebook: Fetched<FacebookAdStats>
  youtube: Fetched<YoutubeStats>
  shipping: Fetched<ShippingQuote>
}

export interface AssembleOptions {
  market: Market
  /** where Meta was asked for ads */
  facebookCountries: readonly string[]
  weights: ScoringWeights
  sandbox: boolean
  at: Date
  ttlMs: number
}

const TRANSIENT: ReadonlySet<SourceStatus> = new Set(['unavailable', 'rate_limited', 'quota_exhausted'])

/** A validation missing a source that may answer again soon is worth keeping only briefly. */
export function isDegraded(signals: Pick<Signals, 'facebook' | 'youtube' | 'shipping'>): boolean {
  return [signals.facebook, signals.youtube, signals.shipping].some((s) => TRANSIENT.has(s.result.status))
}

export function assembleValidation(signals: Signals, options: AssembleOptions): Validation {
  const { product, facebook, youtube, shipping } = signals
  const assessment = scoreProduct(
    { aliexpress: { status: 'ok', data: product }, facebook: facebook.result, youtube: youtube.result, shipping: shipping.result, market: options.market },
    options.weights,
  )
  assessment.reasons.push(...marketReasons(options.market, options.facebookCountries, facebook.result))
  const market = options.market
  return {
    productId: product.productId,
    market: options.market,
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
    keywords: signals.keywords,
    signals: {
      aliexpress: {
        status: 'ok',
        fetchedAt: new Date(signals.productFetchedAt).toISOString(),
        measuredIn: { country: market.country, currency: market.currency },
        data: {
          salePrice: product.price.sale,
          originalPrice: product.price.original,
          currency: product.price.currency,
          ordersLast30Days: product.ordersLast30Days,
          positiveFeedbackRate: product.positiveFeedbackRate,
          commissionRate: product.commissionRate,
        },
      },
      facebook: envelope(facebook.result, facebook.fetchedAt, { countries: [...options.facebookCountries] }),
      youtube: envelope(youtube.result, youtube.fetchedAt, { regionCode: market.country }),
      shipping: envelope(shipping.result, shipping.fetchedAt, { country: market.country, currency: market.currency }),
    },
    ...assessment,
    validatedAt: options.at.toISOString(),
    expiresAt: new Date(options.at.getTime() + options.ttlMs).toISOString(),
    ...(options.sandbox ? { sandbox: true as const } : {}),
  }
}

function envelope<T, M>(result: SourceResult<T>, fetchedAt: number, measuredIn: M): SignalEnvelope<T, M> {
  const at = new Date(fetchedAt).toISOString()
  return result.status === 'ok'
    ? { status: 'ok', fetchedAt: at, measuredIn, data: result.data }
    : { status: result.status, fetchedAt: at, measuredIn, reason: result.reason }
}
