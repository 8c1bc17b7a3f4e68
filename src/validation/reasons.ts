import type { ScoringWeights } from '../config.ts'
import { COMPONENTS, type ComponentName, type Reason } from '../schemas/validation.ts'
import {
  blend,
  type CompetitionInput,
  type DemandInput,
  known,
  MARGIN_CURRENCY_SCALE,
  type MarginInput,
  PARTS,
  type Parts,
  type QualityInput,
  type ScoreInput,
  type SourceName,
  type TrendInput,
} from './components.ts'
import { type MarginFacts, marginReasons } from './margin-reasons.ts'
import type { FacebookAdStats } from './sources.ts'

// ---------------------------------------------------------------------------------------------------
// Reasons: one per part group that carries weight and has data, with the number behind it.

const numberFormat = new Intl.NumberFormat('en-US')
export const count = (n: number) => numberFormat.format(n)
export const round2 = (n: number) => Math.round(n * 100) / 100

function effectOf(value: number): Reason['effect'] {
  if (value >= 60) return 'positive'
  if (value < 40) return 'negative'
  return 'neutral'
}

function reason(value: number, codes: [positive: string, neutral: string, negative: string], message: string): Reason {
  const effect = effectOf(value)
  return { code: codes[effect === 'positive' ? 0 : effect === 'neutral' ? 1 : 2], effect, message }
}

export function componentReasons(
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
  margin?: Omit<MarginFacts, 'input' | 'parts'>,
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
  if (weights.margin > 0 && margin) reasons.push(...marginReasons({ ...margin, input: inputs.margin, parts: parts.margin }))
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

const SOURCE_LABELS: Record<SourceName, string> = { aliexpress: 'AliExpress', facebook: 'Facebook ad', youtube: 'YouTube', shipping: 'AliExpress shipping' }

export function sourceReasons(input: ScoreInput, components: Record<ComponentName, number | null>, weights: ScoringWeights): Reason[] {
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
