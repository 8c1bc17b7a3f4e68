import type { ScoringWeights } from '../config.ts'
import type { AliexpressProduct, FacebookAdStats, SourceResult, YoutubeStats } from './sources.ts'
import { type Assessment, COMPONENTS, type ComponentName, type Gate, type Reason, type Verdict, YOUTUBE_WINDOW_DAYS, RECENT_DAYS } from '../schemas/validation.ts'

// The formulas, their numbers and their reasons are documented in docs/scoring.md; change both together
// and bump the version, because it is part of every cache key that holds a score.
export const SCORING_VERSION = '2026-11-1'

export interface ScoreInput {
  aliexpress: SourceResult<AliexpressProduct>
  facebook: SourceResult<FacebookAdStats>
  youtube: SourceResult<YoutubeStats>
}

export type ScoreResult = Assessment

type SourceName = keyof ScoreInput
type Maybe = number | null | undefined

/**
 * Each component is built from parts; a part is fed by one source and holds a fixed share of its
 * component's weight. A part without data contributes nothing to the total and its weight counts as missing.
 */
export const PARTS = {
  demand: { orders: { share: 0.7, source: 'aliexpress' }, longestAd: { share: 0.18, source: 'facebook' }, medianAdAge: { share: 0.12, source: 'facebook' } },
  trend: { youtubeViews: { share: 0.4, source: 'youtube' }, youtubeVideos: { share: 0.3, source: 'youtube' }, newAds: { share: 0.3, source: 'facebook' } },
  competition: { advertisers: { share: 0.7, source: 'facebook' }, activeAds: { share: 0.3, source: 'facebook' } },
  margin: { price: { share: 1, source: 'aliexpress' } },
  quality: { feedback: { share: 1, source: 'aliexpress' } },
} as const satisfies Record<ComponentName, Record<string, { share: number; source: SourceName }>>

export const VERDICT_BANDS = { strong: 75, promising: 60, risky: 40 } as const
export const MIN_CONFIDENCE = 0.5
export const GATE_LIMITS = { minPositiveFeedback: 90, maxAdvertisers: 500 } as const

/** Band edges in US dollars; other currencies are scaled by a rough, deliberately coarse factor. */
const MARGIN_CURRENCY_SCALE: Record<string, number> = { USD: 1, EUR: 1, GBP: 1, CHF: 1, CAD: 1.4, AUD: 1.5, NZD: 1.7 }

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
}

export interface QualityInput {
  /** percent, 0-100 */
  positiveFeedbackRate?: Maybe
}

type Parts<C extends ComponentName> = Record<keyof (typeof PARTS)[C], number | null>

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

function demandParts(input: DemandInput): Parts<'demand'> {
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

function trendParts(input: TrendInput): Parts<'trend'> {
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

function competitionParts(input: CompetitionInput): Parts<'competition'> {
  const advertisers = known(input.advertisers)
  const ads = known(input.activeAds)
  return {
    advertisers: advertisers === null ? null : sweetSpot(advertisers, 5, 50),
    activeAds: ads === null ? null : sweetSpot(ads, 10, 200),
  }
}

function marginParts(input: MarginInput): Parts<'margin'> {
  const price = known(input.salePrice)
  const scale = MARGIN_CURRENCY_SCALE[(input.currency ?? 'USD').toUpperCase()]
  return { price: price === null || price <= 0 || scale === undefined ? null : marginCurve(price / scale) }
}

function qualityParts(input: QualityInput): Parts<'quality'> {
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

/** Sale price in USD-equivalent against the cost bands of a 2.5x-3x markup. */
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

function known(value: Maybe): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : null
}

function blend<C extends ComponentName>(component: C, parts: Parts<C>): number | null {
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

// ---------------------------------------------------------------------------------------------------
// The total.

export function scoreProduct(input: ScoreInput, weights: ScoringWeights): ScoreResult {
  for (const name of COMPONENTS) {
    if (!Number.isFinite(weights[name]) || weights[name] < 0) throw new RangeError(`scoring weight ${name} must be a number >= 0`)
  }
  const ali = input.aliexpress.status === 'ok' ? input.aliexpress.data : undefined
  const fb = input.facebook.status === 'ok' ? input.facebook.data : undefined
  const yt = input.youtube.status === 'ok' ? input.youtube.data : undefined

  const inputs = {
    demand: {
      ordersLast30Days: ali?.ordersLast30Days,
      // The ads archive gives no ages when there are no ads: no ad has proven itself.
      longestRunningAdDays: fb && (fb.longestRunningAdDays ?? 0),
      medianAdAgeDays: fb && (fb.medianAdAgeDays ?? 0),
    },
    trend: {
      viewsLast30Days: yt?.viewsLast30Days,
      viewsOlder: yt && Math.max(0, yt.totalViews - yt.viewsLast30Days),
      videosLast30Days: yt?.videosLast30Days,
      videosOlder: yt && Math.max(0, yt.videos - yt.videosLast30Days),
      newAdsLast7Days: fb?.newAdsLast7Days,
      adsOlder: fb && Math.max(0, fb.activeAds - fb.newAdsLast7Days),
    },
    competition: { advertisers: fb?.advertisers, activeAds: fb?.activeAds },
    margin: { salePrice: ali?.price.sale, currency: ali?.price.currency },
    quality: { positiveFeedbackRate: ali?.positiveFeedbackRate },
  } satisfies { [C in ComponentName]: unknown }

  const parts: { [C in ComponentName]: Parts<C> } = {
    demand: demandParts(inputs.demand),
    trend: trendParts(inputs.trend),
    competition: competitionParts(inputs.competition),
    margin: marginParts(inputs.margin),
    quality: qualityParts(inputs.quality),
  }

  // total = (sum of weight x value over the parts with data) / (weight of all parts), which equals
  // confidence x (weighted mean of the parts with data). Adding a non-negative term in a fixed order can
  // only keep or raise an IEEE sum, so losing data can never raise the total (see docs/scoring.md).
  let allWeight = 0
  let knownWeight = 0
  let weightedSum = 0
  const components = {} as Record<ComponentName, number | null>
  for (const name of COMPONENTS) {
    const table = PARTS[name] as Record<string, { share: number }>
    for (const [part, value] of Object.entries(parts[name] as Record<string, number | null>)) {
      const w = weights[name] * table[part]!.share
      allWeight += w
      if (value === null) continue
      knownWeight += w
      weightedSum += w * value
    }
    const value = blend(name, parts[name])
    components[name] = value === null ? null : Math.round(value)
  }
  const confidence = allWeight === 0 ? 0 : round2(knownWeight / allWeight)
  const total = knownWeight === 0 ? null : Math.round(weightedSum / allWeight)

  const gates = gatesFor(ali, fb)
  const verdict = verdictFor(total, confidence, ali !== undefined, gates.length > 0)
  const reasons = [...componentReasons(inputs, parts, weights, fb), ...sourceReasons(input, components, weights)]
  return { score: { total, components }, verdict, confidence, reasons, gates, scoringVersion: SCORING_VERSION }
}

function verdictFor(total: number | null, confidence: number, hasProduct: boolean, gated: boolean): Verdict {
  if (!hasProduct || total === null || confidence < MIN_CONFIDENCE) return 'insufficient_data'
  if (total >= VERDICT_BANDS.risky && gated) return 'risky'
  if (total >= VERDICT_BANDS.strong) return 'strong'
  if (total >= VERDICT_BANDS.promising) return 'promising'
  if (total >= VERDICT_BANDS.risky) return 'risky'
  return 'avoid'
}

function gatesFor(ali: AliexpressProduct | undefined, fb: FacebookAdStats | undefined): Gate[] {
  const gates: Gate[] = []
  if (ali) {
    // An unknown value gates like a failing one: otherwise hiding a field could lift the verdict.
    const feedback = known(ali.positiveFeedbackRate)
    if (feedback === null) gates.push({ code: 'FEEDBACK_UNKNOWN', message: 'AliExpress reports no positive feedback rate' })
    else if (feedback < GATE_LIMITS.minPositiveFeedback) {
      gates.push({ code: 'LOW_FEEDBACK', message: `positive feedback ${feedback.toFixed(1)}% is under ${GATE_LIMITS.minPositiveFeedback}%` })
    }
    const orders = known(ali.ordersLast30Days)
    if (orders === null) gates.push({ code: 'ORDERS_UNKNOWN', message: 'AliExpress reports no order count for the last 30 days' })
    else if (orders === 0) gates.push({ code: 'NO_ORDERS', message: 'no orders in the last 30 days' })
  }
  if (fb && fb.advertisers > GATE_LIMITS.maxAdvertisers) {
    gates.push({ code: 'SATURATED', message: `${count(fb.advertisers)} advertisers run ads for these terms (more than ${GATE_LIMITS.maxAdvertisers})` })
  }
  return gates
}

// ---------------------------------------------------------------------------------------------------
// Reasons: one per part group that carries weight and has data, with the number behind it.

const numberFormat = new Intl.NumberFormat('en-US')
// Building an Intl formatter costs far more than using one; there are only a few currencies.
const moneyFormats = new Map<string, Intl.NumberFormat>()
function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency)
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency })
    moneyFormats.set(currency, format)
  }
  return format
}
const count = (n: number) => numberFormat.format(n)
const round2 = (n: number) => Math.round(n * 100) / 100

function effectOf(value: number): Reason['effect'] {
  if (value >= 60) return 'positive'
  if (value < 40) return 'negative'
  return 'neutral'
}

function reason(value: number, codes: [positive: string, neutral: string, negative: string], message: string): Reason {
  const effect = effectOf(value)
  return { code: codes[effect === 'positive' ? 0 : effect === 'neutral' ? 1 : 2], effect, message }
}

function componentReasons(
  inputs: {
    demand: DemandInput
    trend: TrendInput
    competition: CompetitionInput
    margin: MarginInput
    quality: QualityInput
  },
  parts: { [C in ComponentName]: Parts<C> },
  weights: ScoringWeights,
  fb: FacebookAdStats | undefined,
): Reason[] {
  const reasons: Reason[] = []
  if (weights.demand > 0) {
    const { orders, longestAd, medianAdAge } = parts.demand
    const n = known(inputs.demand.ordersLast30Days)
    if (orders !== null && n !== null) {
      reasons.push(
        reason(orders, ['HIGH_SALES_VELOCITY', 'MODERATE_SALES_VELOCITY', 'LOW_SALES_VELOCITY'], `${count(n)} ${n === 1 ? 'order' : 'orders'} in the last 30 days`),
      )
    }
    // With no ads at all, NO_ADS_YET below says it.
    if (fb && fb.activeAds > 0 && longestAd !== null && medianAdAge !== null) {
      const longevity = (PARTS.demand.longestAd.share * longestAd + PARTS.demand.medianAdAge.share * medianAdAge) / (PARTS.demand.longestAd.share + PARTS.demand.medianAdAge.share)
      reasons.push(
        reason(
          longevity,
          ['LONG_RUNNING_ADS', 'MIXED_AD_LONGEVITY', 'SHORT_RUNNING_ADS'],
          `the longest-running ad has run ${days(fb.longestRunningAdDays ?? 0)}, the median ad ${days(fb.medianAdAgeDays ?? 0)}`,
        ),
      )
    }
  }
  if (weights.trend > 0) {
    const value = blend('trend', parts.trend)
    if (value !== null) {
      const t = inputs.trend
      const facts: string[] = []
      if (parts.trend.youtubeViews !== null && parts.trend.youtubeVideos !== null) {
        const views = t.viewsLast30Days! + t.viewsOlder!
        const videos = t.videosLast30Days! + t.videosOlder!
        const viewShare = views === 0 ? 0 : Math.round((100 * t.viewsLast30Days!) / views)
        facts.push(`${count(t.videosLast30Days!)} of ${count(videos)} YouTube videos and ${viewShare}% of their views are from the last 30 days`)
      }
      if (parts.trend.newAds !== null) {
        facts.push(`${count(t.newAdsLast7Days!)} of ${count(t.newAdsLast7Days! + t.adsOlder!)} active ads started in the last 7 days`)
      }
      reasons.push(reason(value, ['RISING_INTEREST', 'STEADY_INTEREST', 'FADING_INTEREST'], facts.join('; ')))
    }
  }
  if (weights.competition > 0 && fb) {
    const value = blend('competition', parts.competition)!
    const atLeast = fb.truncated ? 'at least ' : ''
    const message =
      fb.activeAds === 0
        ? 'no active ads for these terms yet: demand is unproven'
        : `${atLeast}${count(fb.advertisers)} ${fb.advertisers === 1 ? 'advertiser' : 'advertisers'} running ${atLeast}${count(fb.activeAds)} active ${fb.activeAds === 1 ? 'ad' : 'ads'}`
    const effect = effectOf(value)
    let code = 'HEALTHY_COMPETITION'
    if (fb.activeAds === 0) code = 'NO_ADS_YET'
    else if (effect !== 'positive') code = fb.advertisers > 50 || fb.activeAds > 200 ? 'SATURATED_MARKET' : 'FEW_ADVERTISERS'
    reasons.push({ code, effect, message })
  }
  if (weights.margin > 0 && parts.margin.price !== null) {
    const price = inputs.margin.salePrice!
    const currency = (inputs.margin.currency ?? 'USD').toUpperCase()
    const usd = price / MARGIN_CURRENCY_SCALE[currency]!
    const money = (n: number) => moneyFormat(currency).format(n)
    const markup = `${money(price * 2.5)}-${money(price * 3)}`
    let why = `room for the usual 2.5-3x markup (${markup})`
    if (usd < 3) why = 'shipping and fees take much of a 2.5-3x markup'
    else if (usd > 60) why = `a 2.5-3x markup (${markup}) means a higher ad cost per sale and lower conversion`
    else if (usd > 25) why = `a 2.5-3x markup (${markup}) still sells, with fewer buyers`
    reasons.push(reason(parts.margin.price, ['GOOD_MARGIN', 'FAIR_MARGIN', 'THIN_MARGIN'], `sale price ${money(price)}: ${why}`))
  }
  if (weights.quality > 0 && parts.quality.feedback !== null) {
    const rate = Math.min(100, inputs.quality.positiveFeedbackRate!)
    reasons.push(reason(parts.quality.feedback, ['HIGH_FEEDBACK', 'FAIR_FEEDBACK', 'LOW_FEEDBACK'], `positive feedback ${rate.toFixed(1)}%`))
  }
  const currency = inputs.margin.currency
  if (weights.margin > 0 && currency !== undefined && MARGIN_CURRENCY_SCALE[currency.toUpperCase()] === undefined) {
    reasons.push({ code: 'MARGIN_CURRENCY_UNSUPPORTED', effect: 'neutral', message: `margin bands are not defined for ${currency}; margin not scored` })
  }
  return reasons
}

const SOURCE_LABELS: Record<SourceName, string> = { aliexpress: 'AliExpress', facebook: 'Facebook ad', youtube: 'YouTube' }

function sourceReasons(input: ScoreInput, components: Record<ComponentName, number | null>, weights: ScoringWeights): Reason[] {
  const reasons: Reason[] = []
  for (const source of ['aliexpress', 'facebook', 'youtube'] as const) {
    const result = input[source]
    if (result.status === 'ok') continue
    const fed = COMPONENTS.filter(
      (name) => weights[name] > 0 && Object.values(PARTS[name] as Record<string, { source: SourceName }>).some((part) => part.source === source),
    )
    const without = fed.filter((name) => components[name] !== null)
    const missing = fed.filter((name) => components[name] === null)
    const effects = [without.length > 0 ? `${list(without)} scored without it` : '', missing.length > 0 ? `${list(missing)} not scored` : '']
    const consequence = effects.filter(Boolean).join(', ')
    reasons.push({
      code: `SOURCE_${result.status.toUpperCase()}`,
      effect: 'negative',
      message: `${SOURCE_LABELS[source]} data unavailable (${result.status})${consequence ? `; ${consequence}` : ''}`,
    })
  }
  return reasons
}

function list(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`
}

function days(n: number): string {
  return `${count(n)} ${n === 1 ? 'day' : 'days'}`
}
