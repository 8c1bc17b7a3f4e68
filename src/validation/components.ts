import type { Market } from '../schemas/market.ts'
import { type ComponentName, RECENT_DAYS, YOUTUBE_WINDOW_DAYS } from '../schemas/validation.ts'
import { adRoomCurve, currencyScale, landedMarginCurve } from './economics.ts'
import type { AliexpressProduct, FacebookAdStats, ShippingQuote, SourceResult, YoutubeStats } from './sources.ts'

export { MARGIN_CURRENCY_SCALE } from './economics.ts'

// The five components of the score and their parts; docs/scoring.md explains every curve and number.

/** What the score is computed from: each source's answer, failures included. */
export interface ScoreInput {
  aliexpress: SourceResult<AliexpressProduct>
  facebook: SourceResult<FacebookAdStats>
  youtube: SourceResult<YoutubeStats>
  /** the freight answer for the market; absent when it was not asked */
  shipping?: SourceResult<ShippingQuote>
  /** the market asked about, for the economics' currency and the reasons' wording */
  market?: Market
}

export type SourceName = 'aliexpress' | 'facebook' | 'youtube' | 'shipping'
export type Maybe = number | null | undefined

/**
 * Each component is built from parts; a part is fed by one source and holds a fixed share of its
 * component's weight. A part without data contributes nothing to the total and its weight counts as missing.
 */
export const PARTS = {
  demand: { orders: { share: 0.7, source: 'aliexpress' }, longestAd: { share: 0.18, source: 'facebook' }, medianAdAge: { share: 0.12, source: 'facebook' } },
  trend: { youtubeViews: { share: 0.4, source: 'youtube' }, youtubeVideos: { share: 0.3, source: 'youtube' }, newAds: { share: 0.3, source: 'facebook' } },
  competition: { advertisers: { share: 0.7, source: 'facebook' }, activeAds: { share: 0.3, source: 'facebook' } },
  margin: {
    price: { share: 0.3, source: 'aliexpress' },
    landedMargin: { share: 0.4, source: 'shipping' },
    adRoom: { share: 0.3, source: 'shipping' },
  },
  quality: { feedback: { share: 1, source: 'aliexpress' } },
} as const satisfies Record<ComponentName, Record<string, { share: number; source: SourceName }>>

// ---------------------------------------------------------------------------------------------------
// Components. Each takes raw numbers (null/undefined when unknown) and returns 0-100, or null when none
// of its parts has data. The value is the share-weighted mean of the parts that have data.

export interface DemandInput {
  ordersLast30Days?: Maybe
  longestRunningAdDays?: Maybe
  medianAdAgeDays?: Maybe
}

export interface TrendInput {
  /** views of the videos published in the last 30 days */
  viewsLast30Days?: Maybe
  /** views of the older videos in the search window */
  viewsOlder?: Maybe
  videosLast30Days?: Maybe
  videosOlder?: Maybe
  newAdsLast7Days?: Maybe
  /** active ads that started more than 7 days ago */
  adsOlder?: Maybe
}

export interface CompetitionInput {
  advertisers?: Maybe
  activeAds?: Maybe
}

export interface MarginInput {
  salePrice?: Maybe
  /** ISO 4217; absent means USD, AliExpress's default target currency */
  currency?: string | undefined
  /** from the landed cost (economics.ts); unknown while shipping is unknown */
  grossMargin?: Maybe
  breakEvenCpa?: Maybe
}

export interface QualityInput {
  /** percent, 0-100 */
  positiveFeedbackRate?: Maybe
}

export type Parts<C extends ComponentName> = Record<keyof (typeof PARTS)[C], number | null>

export function demandScore(input: DemandInput): number | null {
  return blend('demand', demandParts(input))
}

export function trendScore(input: TrendInput): number | null {
  return blend('trend', trendParts(input))
}

export function competitionScore(input: CompetitionInput): number | null {
  return blend('competition', competitionParts(input))
}

export function marginScore(input: MarginInput): number | null {
  return blend('margin', marginParts(input))
}

export function qualityScore(input: QualityInput): number | null {
  return blend('quality', qualityParts(input))
}

export function demandParts(input: DemandInput): Parts<'demand'> {
  const orders = known(input.ordersLast30Days)
  const longest = known(input.longestRunningAdDays)
  const median = known(input.medianAdAgeDays)
  return {
    // 0 -> 0, 9 -> 25, 99 -> 50, 999 -> 75, 9,999+ -> 100
    orders: orders === null ? null : Math.min(100, 25 * Math.log10(1 + orders)),
    // An ad kept running for weeks is paid for by someone who profits from it.
    longestAd: longest === null ? null : (100 * Math.min(longest, 60)) / 60,
    medianAdAge: median === null ? null : (100 * Math.min(median, 30)) / 30,
  }
}

export function trendParts(input: TrendInput): Parts<'trend'> {
  const pair = (recent: Maybe, older: Maybe) => {
    const r = known(recent)
    const o = known(older)
    return r === null || o === null ? null : { recent: r, older: o }
  }
  const views = pair(input.viewsLast30Days, input.viewsOlder)
  const videos = pair(input.videosLast30Days, input.videosOlder)
  const ads = pair(input.newAdsLast7Days, input.adsOlder)
  return {
    // Young videos have had less time to collect views, so their fair share of views is below 30/180.
    youtubeViews: views && recentShareScore(views.recent, views.older, 0.1, 10_000),
    youtubeVideos: videos && recentShareScore(videos.recent, videos.older, RECENT_DAYS / YOUTUBE_WINDOW_DAYS, 6),
    newAds: ads && recentShareScore(ads.recent, ads.older, 0.15, 5),
  }
}

export function competitionParts(input: CompetitionInput): Parts<'competition'> {
  const advertisers = known(input.advertisers)
  const ads = known(input.activeAds)
  return {
    advertisers: advertisers === null ? null : sweetSpot(advertisers, 5, 50),
    activeAds: ads === null ? null : sweetSpot(ads, 10, 200),
  }
}

export function marginParts(input: MarginInput): Parts<'margin'> {
  const price = known(input.salePrice)
  const scale = currencyScale(input.currency)
  if (price === null || price <= 0 || scale === undefined) return { price: null, landedMargin: null, adRoom: null }
  // Not known(): a negative margin or break-even cost is a fact, not a missing value.
  const finite = (n: Maybe) => (typeof n === 'number' && Number.isFinite(n) ? n : null)
  const margin = finite(input.grossMargin)
  const cpa = finite(input.breakEvenCpa)
  return {
    price: marginCurve(price / scale),
    landedMargin: margin === null ? null : landedMarginCurve(margin),
    adRoom: cpa === null ? null : adRoomCurve(cpa / scale),
  }
}

export function qualityParts(input: QualityInput): Parts<'quality'> {
  const rate = known(input.positiveFeedbackRate)
  return { feedback: rate === null ? null : feedbackCurve(Math.min(rate, 100)) }
}

/**
 * Share of activity that is recent, smoothed towards the steady-state share by `prior` pseudo-units so
 * a handful of videos cannot claim a trend; then 0 at no recent activity, 50 at the steady share,
 * 100 at three times it.
 */
function recentShareScore(recent: number, older: number, steadyShare: number, prior: number): number {
  const share = (recent + prior * steadyShare) / (recent + older + prior)
  const ratio = share / steadyShare
  return ratio <= 1 ? 50 * ratio : Math.min(100, 50 + 25 * (ratio - 1))
}

/** 35 with nobody advertising (unproven), rising to 100 at `low`, flat to `high`, then -80 per tenfold. */
function sweetSpot(count: number, low: number, high: number): number {
  if (count <= low) return 35 + (65 * count) / low
  if (count <= high) return 100
  return Math.max(0, 100 - 80 * Math.log10(count / high))
}

/** Sale price in USD-equivalent: the price point the markup lands on (shipping is in the other parts). */
function marginCurve(price: number): number {
  if (price < 3) return 40 + 10 * price
  if (price <= 25) return 100
  if (price <= 60) return 100 - ((price - 25) * 30) / 35
  if (price <= 150) return 70 - ((price - 60) * 40) / 90
  if (price <= 300) return 30 - ((price - 150) * 20) / 150
  return 10
}

function feedbackCurve(rate: number): number {
  if (rate <= 80) return 0
  if (rate <= 90) return (rate - 80) * 3
  if (rate <= 95) return 30 + (rate - 90) * 8
  if (rate <= 98) return 70 + (rate - 95) * 10
  return 100
}

export function known(value: Maybe): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : null
}

export function blend<C extends ComponentName>(component: C, parts: Parts<C>): number | null {
  const shares = PARTS[component] as Record<string, { share: number }>
  let sum = 0
  let weight = 0
  for (const [name, value] of Object.entries(parts as Record<string, number | null>)) {
    if (value === null) continue
    sum += shares[name]!.share * value
    weight += shares[name]!.share
  }
  return weight === 0 ? null : sum / weight
}
