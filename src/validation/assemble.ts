import type { ScoringWeights } from '../config.ts'
import type { Market } from '../schemas/market.ts'
import type { SignalEnvelope, Validation } from '../schemas/validation.ts'
import { scoreProduct } from './score.ts'
import type { Fetched } from './source-cache.ts'
import type { AliexpressProduct, FacebookAdStats, SourceResult, SourceStatus, YoutubeStats } from './sources.ts'

// The validation object from its signals. Pure: the clock and the answers come in as arguments.

export interface Signals {
  product: AliexpressProduct
  /** when the AliExpress answer was fetched */
  productFetchedAt: number
  keywords: string
  facebook: Fetched<FacebookAdStats>
  youtube: Fetched<YoutubeStats>
}

export interface AssembleOptions {
  market: Market
  weights: ScoringWeights
  sandbox: boolean
  at: Date
  ttlMs: number
}

const TRANSIENT: ReadonlySet<SourceStatus> = new Set(['unavailable', 'rate_limited', 'quota_exhausted'])

/** A validation missing a source that may answer again soon is worth keeping only briefly. */
export function isDegraded(signals: Pick<Signals, 'facebook' | 'youtube'>): boolean {
  return TRANSIENT.has(signals.facebook.result.status) || TRANSIENT.has(signals.youtube.result.status)
}

export function assembleValidation(signals: Signals, options: AssembleOptions): Validation {
  const { product, facebook, youtube } = signals
  const assessment = scoreProduct({ aliexpress: { status: 'ok', data: product }, facebook: facebook.result, youtube: youtube.result }, options.weights)
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
        data: {
          salePrice: product.price.sale,
          originalPrice: product.price.original,
          currency: product.price.currency,
          ordersLast30Days: product.ordersLast30Days,
          positiveFeedbackRate: product.positiveFeedbackRate,
          commissionRate: product.commissionRate,
        },
      },
      facebook: envelope(facebook.result, facebook.fetchedAt),
      youtube: envelope(youtube.result, youtube.fetchedAt),
    },
    ...assessment,
    validatedAt: options.at.toISOString(),
    expiresAt: new Date(options.at.getTime() + options.ttlMs).toISOString(),
    ...(options.sandbox ? { sandbox: true as const } : {}),
  }
}

function envelope<T>(result: SourceResult<T>, fetchedAt: number): SignalEnvelope<T> {
  const at = new Date(fetchedAt).toISOString()
  return result.status === 'ok' ? { status: 'ok', fetchedAt: at, data: result.data } : { status: result.status, fetchedAt: at, reason: result.reason }
}
