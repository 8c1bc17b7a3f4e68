import type { ScoringWeights } from '../config.ts'
import { type Assessment, COMPONENTS, type ComponentName, type Gate, type Verdict } from '../schemas/validation.ts'
import {
  blend,
  competitionParts,
  demandParts,
  known,
  marginParts,
  PARTS,
  type Parts,
  qualityParts,
  type ScoreInput,
  trendParts,
} from './components.ts'
import { economicsOf } from './economics.ts'
import { componentReasons, count, round2, sourceReasons } from './reasons.ts'
import type { AliexpressProduct, FacebookAdStats } from './sources.ts'

export type { ScoreInput }

// The score, the gates and the verdict from the three sources' signals: pure and versioned.
// The formulas, their numbers and their reasons are documented in docs/scoring.md; change both together
// and bump the version, because it is part of every cache key that holds a score.
export const SCORING_VERSION = '2026-12-1'

export type ScoreResult = Assessment

export const VERDICT_BANDS = { strong: 75, promising: 60, risky: 40 } as const
export const MIN_CONFIDENCE = 0.5
export const GATE_LIMITS = { minPositiveFeedback: 90, maxAdvertisers: 500 } as const

// ---------------------------------------------------------------------------------------------------
// The total.

export function scoreProduct(input: ScoreInput, weights: ScoringWeights): ScoreResult {
  for (const name of COMPONENTS) {
    if (!Number.isFinite(weights[name]) || weights[name] < 0) throw new RangeError(`scoring weight ${name} must be a number >= 0`)
  }
  const ali = input.aliexpress.status === 'ok' ? input.aliexpress.data : undefined
  const economics = economicsOf(ali, input.shipping, input.market?.currency ?? 'USD')
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
    margin: { salePrice: ali?.price.sale, currency: ali?.price.currency, grossMargin: economics.grossMargin, breakEvenCpa: economics.breakEvenCpa },
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
  const margin = { economics, shipping: input.shipping, country: input.market?.country }
  const reasons = [...componentReasons(inputs, parts, weights, fb, margin), ...sourceReasons(input, components, weights)]
  return { score: { total, components }, verdict, confidence, reasons, gates, economics, scoringVersion: SCORING_VERSION }
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
