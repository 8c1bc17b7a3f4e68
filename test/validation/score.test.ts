import fc from 'fast-check'
import t, { type Test } from 'tap'
import { DEFAULT_WEIGHTS, type ScoringWeights } from '../../src/config.ts'
import { competitionScore, demandScore, marginScore, PARTS, qualityScore, trendScore } from '../../src/validation/components.ts'
import { SCORING_VERSION, type ScoreInput, type ScoreResult, scoreProduct } from '../../src/validation/score.ts'
import type { AliexpressProduct, FacebookAdStats, ShippingQuote, SourceFailure, SourceResult, YoutubeStats } from '../../src/validation/sources.ts'
import { COMPONENTS } from '../../src/schemas/validation.ts'

const RUNS = { numRuns: 500 }
const EPSILON = 1e-9

function holds<Ts>(t: Test, property: fc.IProperty<Ts>, message: string): void {
  const details = fc.check(property, RUNS)
  t.notOk(details.failed, details.failed ? (fc.defaultReportMessage(details) ?? message) : message)
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries: realistic shapes of what the source adapters return.

const SCALED_CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD', undefined] as const
const FAILURE_STATUSES = ['not_found', 'unavailable', 'rate_limited', 'quota_exhausted', 'not_configured'] as const

const failure = fc.constantFrom(...FAILURE_STATUSES).map((status): SourceFailure => ({ status, reason: `upstream said ${status}` }))
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 })

const product = fc
  .record({
    orders: maybe(fc.integer({ min: 0, max: 200_000 })),
    sale: maybe(fc.double({ min: 0.01, max: 2_000, noNaN: true })),
    currency: fc.constantFrom(...SCALED_CURRENCIES),
    feedback: maybe(fc.double({ min: 0, max: 100, noNaN: true })),
  })
  .map(
    ({ orders, sale, currency, feedback }): AliexpressProduct => ({
      productId: '1005006123456789',
      title: 'LED Strip Lights',
      url: 'https://www.aliexpress.com/item/1005006123456789.html',
      price: { sale, currency },
      ordersLast30Days: orders,
      positiveFeedbackRate: feedback,
      shop: {},
    }),
  )

const adStats = fc
  .record({
    activeAds: fc.integer({ min: 0, max: 5_000 }),
    advertiserRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    newRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    longest: fc.integer({ min: 0, max: 900 }),
    medianRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    truncated: fc.boolean(),
  })
  .map(({ activeAds, advertiserRatio, newRatio, longest, medianRatio, truncated }): FacebookAdStats => {
    const hasAds = activeAds > 0
    return {
      activeAds,
      advertisers: hasAds ? Math.max(1, Math.round(activeAds * advertiserRatio)) : 0,
      newAdsLast7Days: Math.round(activeAds * newRatio),
      longestRunningAdDays: hasAds ? longest : null,
      medianAdAgeDays: hasAds ? Math.round(longest * medianRatio) : null,
      truncated,
    }
  })

const videoStats = fc
  .record({
    videos: fc.integer({ min: 0, max: 250 }),
    recentRatio: fc.double({ min: 0, max: 1, noNaN: true }),
    totalViews: fc.integer({ min: 0, max: 2_000_000_000 }),
    recentViewRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ videos, recentRatio, totalViews, recentViewRatio }): YoutubeStats => {
    const videosLast30Days = Math.round(videos * recentRatio)
    const viewsLast30Days = videosLast30Days === 0 ? 0 : Math.round(totalViews * recentViewRatio)
    return {
      videos,
      totalViews: videos === 0 ? 0 : totalViews,
      medianViews: videos === 0 ? null : Math.round(totalViews / videos),
      topVideoViews: videos === 0 ? null : totalViews,
      videosLast30Days,
      viewsLast30Days: videos === 0 ? 0 : viewsLast30Days,
    }
  })

const ok = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<SourceResult<T>> =>
  fc.oneof({ weight: 4, arbitrary: arb.map((data) => ({ status: 'ok' as const, data })) }, { weight: 1, arbitrary: failure })

const shippingQuote = fc
  .record({
    cost: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 200, noNaN: true })),
    currency: fc.constantFrom('USD', 'USD', 'EUR', 'GBP', 'CAD'),
    maxDays: maybe(fc.integer({ min: 3, max: 60 })),
  })
  .map(({ cost, currency, maxDays }): ShippingQuote => ({ cost: Math.round(cost * 100) / 100, currency, free: cost === 0, maxDays, options: 2 }))

const scoreInput: fc.Arbitrary<ScoreInput> = fc.record(
  {
    aliexpress: ok(product),
    facebook: ok(adStats),
    youtube: ok(videoStats),
    shipping: ok(shippingQuote),
    market: fc.constantFrom({ country: 'US', currency: 'USD' }, { country: 'DE', currency: 'EUR' }),
  },
  { requiredKeys: ['aliexpress', 'facebook', 'youtube'] },
)

const weights: fc.Arbitrary<ScoringWeights> = fc.oneof(
  fc.constant(DEFAULT_WEIGHTS),
  fc.record({
    demand: fc.integer({ min: 0, max: 100 }),
    trend: fc.integer({ min: 0, max: 100 }),
    competition: fc.integer({ min: 0, max: 100 }),
    margin: fc.integer({ min: 0, max: 100 }),
    quality: fc.integer({ min: 0, max: 100 }),
  }),
)

/** Every way a piece of data can go missing between two otherwise identical validations. */
type Loss = 'aliexpress' | 'facebook' | 'youtube' | 'shipping' | 'orders' | 'price' | 'feedback'
const LOSSES: readonly Loss[] = ['aliexpress', 'facebook', 'youtube', 'shipping', 'orders', 'price', 'feedback']

function lose(input: ScoreInput, loss: Loss, status: SourceFailure): ScoreInput {
  if (loss === 'aliexpress' || loss === 'facebook' || loss === 'youtube') return { ...input, [loss]: status }
  if (loss === 'shipping') return { ...input, shipping: status.status === 'not_found' ? undefined : status }
  if (input.aliexpress.status !== 'ok') return input
  const data = input.aliexpress.data
  const changed: AliexpressProduct =
    loss === 'orders'
      ? { ...data, ordersLast30Days: undefined }
      : loss === 'price'
        ? { ...data, price: { ...data.price, sale: undefined } }
        : { ...data, positiveFeedbackRate: undefined }
  return { ...input, aliexpress: { status: 'ok', data: changed } }
}

const totalOf = (result: ScoreResult) => result.score.total ?? Number.NEGATIVE_INFINITY
const VERDICT_RANK = { insufficient_data: -1, avoid: 0, risky: 1, promising: 2, strong: 3 } as const

// ---------------------------------------------------------------------------------------------------
// Properties of the total.

t.test('the total, components and confidence stay in range', (t) => {
  holds(
    t,
    fc.property(scoreInput, weights, (input, w) => {
      const result = scoreProduct(input, w)
      const { total, components } = result.score
      const inRange = (n: number | null) => n === null || (Number.isInteger(n) && n >= 0 && n <= 100)
      return (
        inRange(total) &&
        COMPONENTS.every((name) => inRange(components[name])) &&
        result.confidence >= 0 &&
        result.confidence <= 1 &&
        result.scoringVersion === SCORING_VERSION
      )
    }),
    'total and components are integers 0-100 or null; confidence is 0-1',
  )
  t.end()
})

t.test('the same input gives the same output', (t) => {
  holds(
    t,
    fc.property(scoreInput, weights, (input, w) => {
      const first = scoreProduct(input, w)
      const again = scoreProduct(structuredClone(input), { ...w })
      return JSON.stringify(again) === JSON.stringify(first)
    }),
    'scoring is deterministic',
  )
  t.end()
})

t.test('missing data never raises the total', (t) => {
  holds(
    t,
    fc.property(scoreInput, weights, fc.uniqueArray(fc.constantFrom(...LOSSES), { minLength: 1 }), failure, (input, w, losses, status) => {
      let previous = scoreProduct(input, w)
      let current = input
      for (const loss of losses) {
        current = lose(current, loss, status)
        const next = scoreProduct(current, w)
        if (totalOf(next) > totalOf(previous)) return false
        if (next.confidence > previous.confidence) return false
        previous = next
      }
      return true
    }),
    'each lost source or field keeps or lowers the total and the confidence',
  )
  t.end()
})

t.test('a missing AliExpress field never improves the verdict', (t) => {
  const aliexpressLosses = ['orders', 'price', 'feedback', 'shipping'] as const
  holds(
    t,
    fc.property(scoreInput, weights, fc.constantFrom(...aliexpressLosses), failure, (input, w, loss, status) => {
      const before = scoreProduct(input, w)
      const after = scoreProduct(lose(input, loss, status), w)
      return VERDICT_RANK[after.verdict] <= VERDICT_RANK[before.verdict]
    }),
    'an unknown orders count, price or feedback rate cannot lift the verdict',
  )
  t.end()
})

t.test('confidence is the share of weight whose part had data', (t) => {
  holds(
    t,
    fc.property(scoreInput, weights, (input, w) => {
      const ali = input.aliexpress.status === 'ok' ? input.aliexpress.data : undefined
      // Which parts the test expects to have data, from the raw input alone.
      const shipping = input.shipping?.status === 'ok' ? input.shipping.data : undefined
      const landed = ali?.price.sale !== undefined && shipping !== undefined && shipping.currency === (ali.price.currency ?? 'USD')
      const has: Record<string, boolean> = {
        'demand.orders': ali?.ordersLast30Days !== undefined,
        'margin.price': ali?.price.sale !== undefined,
        'margin.landedMargin': landed,
        'margin.adRoom': landed,
        'quality.feedback': ali?.positiveFeedbackRate !== undefined,
      }
      let all = 0
      let known = 0
      for (const name of COMPONENTS) {
        for (const [part, { share, source }] of Object.entries(PARTS[name] as Record<string, { share: number; source: 'aliexpress' | 'facebook' | 'youtube' }>)) {
          const key = `${name}.${part}`
          const present = key in has ? has[key]! : input[source].status === 'ok'
          all += w[name] * share
          if (present) known += w[name] * share
        }
      }
      const expected = all === 0 ? 0 : Math.round((known / all) * 100) / 100
      return scoreProduct(input, w).confidence === expected
    }),
    'confidence matches the weight of the parts with data',
  )
  t.end()
})

t.test('a gated product is never strong or promising', (t) => {
  holds(
    t,
    fc.property(scoreInput, weights, (input, w) => {
      const result = scoreProduct(input, w)
      return result.gates.length === 0 || (result.verdict !== 'strong' && result.verdict !== 'promising')
    }),
    'gates cap the verdict at risky',
  )
  t.end()
})

t.test('the verdict follows the documented bands', (t) => {
  holds(
    t,
    fc.property(scoreInput, weights, (input, w) => {
      const { score, verdict, confidence, gates } = scoreProduct(input, w)
      if (input.aliexpress.status !== 'ok' || score.total === null || confidence < 0.5) return verdict === 'insufficient_data'
      const band = score.total >= 75 ? 'strong' : score.total >= 60 ? 'promising' : score.total >= 40 ? 'risky' : 'avoid'
      const capped = gates.length > 0 && (band === 'strong' || band === 'promising') ? 'risky' : band
      return verdict === capped
    }),
    'strong >= 75, promising >= 60, risky >= 40, else avoid; insufficient_data under 0.5 confidence',
  )
  t.end()
})

t.test('more orders or better feedback never lower the total', (t) => {
  holds(
    t,
    fc.property(scoreInput, fc.nat(100_000), fc.double({ min: 0, max: 20, noNaN: true }), (input, moreOrders, moreFeedback) => {
      if (input.aliexpress.status !== 'ok') return true
      const data = input.aliexpress.data
      const better: AliexpressProduct = {
        ...data,
        ordersLast30Days: data.ordersLast30Days === undefined ? undefined : data.ordersLast30Days + moreOrders,
        positiveFeedbackRate: data.positiveFeedbackRate === undefined ? undefined : Math.min(100, data.positiveFeedbackRate + moreFeedback),
      }
      const before = scoreProduct(input, DEFAULT_WEIGHTS)
      const after = scoreProduct({ ...input, aliexpress: { status: 'ok', data: better } }, DEFAULT_WEIGHTS)
      return totalOf(after) >= totalOf(before)
    }),
    'the total is monotone in orders and feedback',
  )
  t.end()
})

// ---------------------------------------------------------------------------------------------------
// Monotonicity of each component in its stated direction.

const count = fc.integer({ min: 0, max: 1_000_000 })
const optionalCount = maybe(count)
const sorted = (a: number, b: number): [number, number] => (a <= b ? [a, b] : [b, a])
const atMost = (a: number | null, b: number | null) => a !== null && b !== null && a <= b + EPSILON

t.test('demand is non-decreasing in orders and in ad longevity', (t) => {
  holds(
    t,
    fc.property(count, count, optionalCount, optionalCount, optionalCount, (x, y, orders, longest, median) => {
      const [lo, hi] = sorted(x, y)
      return (
        atMost(demandScore({ ordersLast30Days: lo, longestRunningAdDays: longest, medianAdAgeDays: median }), demandScore({ ordersLast30Days: hi, longestRunningAdDays: longest, medianAdAgeDays: median })) &&
        atMost(demandScore({ ordersLast30Days: orders, longestRunningAdDays: lo, medianAdAgeDays: median }), demandScore({ ordersLast30Days: orders, longestRunningAdDays: hi, medianAdAgeDays: median })) &&
        atMost(demandScore({ ordersLast30Days: orders, longestRunningAdDays: longest, medianAdAgeDays: lo }), demandScore({ ordersLast30Days: orders, longestRunningAdDays: longest, medianAdAgeDays: hi }))
      )
    }),
    'demand monotone',
  )
  t.end()
})

t.test('trend rises with recent activity and falls with older activity', (t) => {
  const trendInput = fc.record({
    viewsLast30Days: optionalCount,
    viewsOlder: optionalCount,
    videosLast30Days: optionalCount,
    videosOlder: optionalCount,
    newAdsLast7Days: optionalCount,
    adsOlder: optionalCount,
  })
  const recentKeys = ['viewsLast30Days', 'videosLast30Days', 'newAdsLast7Days'] as const
  const olderKeys = ['viewsOlder', 'videosOlder', 'adsOlder'] as const
  holds(
    t,
    fc.property(trendInput, count, count, fc.integer({ min: 0, max: 2 }), (input, x, y, i) => {
      const [lo, hi] = sorted(x, y)
      const recent = recentKeys[i]!
      const older = olderKeys[i]!
      const rises = atMost(trendScore({ ...input, [recent]: lo, [older]: input[older] ?? 0 }), trendScore({ ...input, [recent]: hi, [older]: input[older] ?? 0 }))
      const falls = atMost(trendScore({ ...input, [older]: hi, [recent]: input[recent] ?? 0 }), trendScore({ ...input, [older]: lo, [recent]: input[recent] ?? 0 }))
      return rises && falls
    }),
    'trend monotone',
  )
  t.end()
})

t.test('competition rises to its sweet spot and falls above it', (t) => {
  const curves = [
    { key: 'advertisers', other: 'activeAds', low: 5, high: 50 },
    { key: 'activeAds', other: 'advertisers', low: 10, high: 200 },
  ] as const
  holds(
    t,
    fc.property(fc.constantFrom(...curves), count, count, optionalCount, (curve, x, y, other) => {
      const [a, b] = sorted(x, y)
      const at = (n: number) => competitionScore({ [curve.key]: n, [curve.other]: other })
      const below = [Math.min(a, curve.low), Math.min(b, curve.low)] as const
      const above = [Math.max(a, curve.high), Math.max(b, curve.high)] as const
      return atMost(at(below[0]), at(below[1])) && atMost(at(above[1]), at(above[0])) && atMost(at(curve.high + 1), at(curve.low))
    }),
    'competition: non-decreasing below the sweet spot, non-increasing above it',
  )
  t.end()
})

t.test('margin is non-increasing in price above the best band and non-decreasing below it', (t) => {
  const price = fc.double({ min: 0.01, max: 5_000, noNaN: true })
  holds(
    t,
    fc.property(price, price, fc.constantFrom(...SCALED_CURRENCIES), (x, y, currency) => {
      const [lo, hi] = sorted(x, y)
      const scale = { USD: 1, EUR: 1, GBP: 1, CAD: 1.4 }[currency ?? 'USD']
      const bandStart = 3 * scale
      const at = (p: number) => marginScore({ salePrice: p, currency })
      if (hi <= bandStart) return atMost(at(lo), at(hi))
      if (lo >= bandStart) return atMost(at(hi), at(lo))
      return true
    }),
    'margin monotone per band',
  )
  t.end()
})

t.test('quality is non-decreasing in positive feedback', (t) => {
  const rate = fc.double({ min: 0, max: 100, noNaN: true })
  holds(
    t,
    fc.property(rate, rate, (x, y) => {
      const [lo, hi] = sorted(x, y)
      return atMost(qualityScore({ positiveFeedbackRate: lo }), qualityScore({ positiveFeedbackRate: hi }))
    }),
    'quality monotone',
  )
  t.end()
})

t.test('a component is null exactly when all its inputs are missing', (t) => {
  t.equal(demandScore({}), null)
  t.equal(trendScore({ viewsLast30Days: 10, videosOlder: 3 }), null, 'a recent count without its older count says nothing')
  t.equal(competitionScore({ advertisers: null, activeAds: undefined }), null)
  t.equal(marginScore({ salePrice: undefined }), null)
  t.equal(marginScore({ salePrice: 0 }), null, 'a zero price is not a price')
  t.equal(marginScore({ salePrice: 1200, currency: 'JPY' }), null, 'no bands for currencies far from the dollar')
  t.equal(qualityScore({ positiveFeedbackRate: Number.NaN }), null)
  t.not(demandScore({ medianAdAgeDays: 0 }), null)
  t.not(trendScore({ newAdsLast7Days: 0, adsOlder: 0 }), null)
  t.end()
})

// ---------------------------------------------------------------------------------------------------
// Hand-computed examples (numbers from docs/scoring.md).

t.test('component curves at their documented points', (t) => {
  const close = (actual: number | null, expected: number, what: string) => t.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ~ ${expected}`)
  close(demandScore({ ordersLast30Days: 0 }), 0, '0 orders')
  close(demandScore({ ordersLast30Days: 9 }), 25, '9 orders')
  close(demandScore({ ordersLast30Days: 999 }), 75, '999 orders')
  close(demandScore({ ordersLast30Days: 50_000 }), 100, '50,000 orders')
  close(demandScore({ ordersLast30Days: 999, longestRunningAdDays: 60, medianAdAgeDays: 12 }), 75.3, 'orders with ads: 0.7x75 + 0.18x100 + 0.12x40')
  close(trendScore({ videosLast30Days: 10, videosOlder: 50 }), 50, 'a sixth of the videos are recent: flat')
  close(trendScore({ videosLast30Days: 0, videosOlder: 0 }), 50, 'no videos: no evidence either way')
  close(trendScore({ viewsLast30Days: 290_000, viewsOlder: 700_000 }), 50 + 25 * (291_000 / 1_000_000 / 0.1 - 1), 'smoothed view share 0.291 is 2.91 times the steady share')
  close(trendScore({ viewsLast30Days: 300_000, viewsOlder: 690_000 }), 100, 'three times the steady view share or more')
  close(trendScore({ newAdsLast7Days: 0, adsOlder: 995 }), 0.5 * (0.75 / 1000 / 0.15) * 100, 'almost no new ads')
  close(competitionScore({ advertisers: 0, activeAds: 0 }), 35, 'no ads: unproven')
  close(competitionScore({ advertisers: 20, activeAds: 100 }), 100, 'sweet spot')
  close(competitionScore({ advertisers: 500, activeAds: 2_000 }), 20, 'ten times past the sweet spot')
  close(marginScore({ salePrice: 2 }), 60, '$2')
  close(marginScore({ salePrice: 3 }), 100, '$3')
  close(marginScore({ salePrice: 25 }), 100, '$25')
  close(marginScore({ salePrice: 60 }), 70, '$60')
  close(marginScore({ salePrice: 150 }), 30, '$150')
  close(marginScore({ salePrice: 300 }), 10, '$300')
  close(marginScore({ salePrice: 900 }), 10, '$900')
  close(marginScore({ salePrice: 140, currency: 'CAD' }), 70 - (40 * 40) / 90, 'CA$140 is about $100')
  close(qualityScore({ positiveFeedbackRate: 80 }), 0, '80%')
  close(qualityScore({ positiveFeedbackRate: 90 }), 30, '90%')
  close(qualityScore({ positiveFeedbackRate: 95 }), 70, '95%')
  close(qualityScore({ positiveFeedbackRate: 96 }), 80, '96%')
  close(qualityScore({ positiveFeedbackRate: 98 }), 100, '98%')
  t.end()
})

const aliexpressOk = (patch: Partial<AliexpressProduct> = {}): SourceResult<AliexpressProduct> => ({
  status: 'ok',
  data: {
    productId: '1005006123456789',
    title: 'LED Strip Lights Bluetooth',
    url: 'https://www.aliexpress.com/item/1005006123456789.html',
    price: { sale: 10, original: 20, currency: 'USD' },
    ordersLast30Days: 999,
    positiveFeedbackRate: 96,
    shop: { id: '1102' },
    ...patch,
  },
})
const facebookOk: SourceResult<FacebookAdStats> = {
  status: 'ok',
  data: { activeAds: 100, advertisers: 20, medianAdAgeDays: 12, longestRunningAdDays: 60, newAdsLast7Days: 15, truncated: false },
}
const youtubeOk: SourceResult<YoutubeStats> = {
  status: 'ok',
  data: { videos: 60, totalViews: 90_000, medianViews: 900, topVideoViews: 20_000, videosLast30Days: 10, viewsLast30Days: 9_000 },
}
const shippingOk: SourceResult<ShippingQuote> = {
  status: 'ok',
  data: { cost: 2, currency: 'USD', free: false, minDays: 8, maxDays: 15, carrier: 'AliExpress Standard Shipping', options: 2 },
}
const US = { country: 'US', currency: 'USD' }
// $10 item + $2 shipping = $12 landed; sold at 3x = $36 (under the 4x = $40 ceiling); fees 2.9% + $0.30 =
// $1.344; $22.656 left: gross margin 0.629 -> 100, break-even $22.66 -> 90.64; margin 0.3x100 + 0.4x100 +
// 0.3x90.64 = 97.19, which is 42.81 under the 100 it had before shipping counted (15 x 2.81 = 42.1 points).
const MARGIN = 0.3 * 100 + 0.4 * 100 + 0.3 * ((100 * 22.66) / 25)

t.test('a fully known product, worked by hand', (t) => {
  // demand 75.3, trend 50 (every part at its steady share), competition 100, margin 97.19, quality 80:
  // (30x75.3 + 20x50 + 20x100 + 15x97.19 + 15x80) / 100 = 79.17
  const result = scoreProduct({ aliexpress: aliexpressOk(), facebook: facebookOk, youtube: youtubeOk, shipping: shippingOk, market: US }, DEFAULT_WEIGHTS)
  t.ok(Math.abs(MARGIN - 97.192) < 1e-9)
  t.same(result.score, { total: 79, components: { demand: 75, trend: 50, competition: 100, margin: 97, quality: 80 } })
  t.equal(result.verdict, 'strong')
  t.equal(result.confidence, 1)
  t.same(result.gates, [])
  t.same(
    result.reasons.map((r) => [r.code, r.effect]),
    [
      ['HIGH_SALES_VELOCITY', 'positive'],
      ['LONG_RUNNING_ADS', 'positive'],
      ['STEADY_INTEREST', 'neutral'],
      ['HEALTHY_COMPETITION', 'positive'],
      ['GOOD_MARGIN', 'positive'],
      ['DELIVERY_ESTIMATE', 'neutral'],
      ['HIGH_FEEDBACK', 'positive'],
    ],
  )
  t.equal(result.reasons[0]!.message, '999 orders in the last 30 days')
  t.equal(result.reasons[1]!.message, 'the longest-running ad has run 60 days, the median ad 12 days')
  t.equal(result.reasons[2]!.message, '10 of 60 YouTube videos and 10% of their views are from the last 30 days; 15 of 100 active ads started in the last 7 days')
  t.equal(result.reasons[3]!.message, '20 advertisers running 100 active ads')
  t.equal(
    result.reasons[4]!.message,
    'landed cost $12.00 ($10.00 item + $2.00 shipping to US); sold at $36.00, gross margin 63% and $22.66 per sale for ads (break-even cost per acquisition)',
  )
  t.equal(result.reasons[5]!.message, 'AliExpress Standard Shipping delivers to US in 8-15 days')
  t.equal(result.reasons[6]!.message, 'positive feedback 96.0%')
  t.same(result.economics, {
    currency: 'USD',
    itemCost: 10,
    shipping: { status: 'ok', cost: 2, carrier: 'AliExpress Standard Shipping', minDays: 8, maxDays: 15, daysSource: 'freight' },
    landedCost: 12,
    suggestedPrice: { low: 30, high: 36 },
    grossMargin: 0.629,
    breakEvenCpa: 22.66,
    assumptions: { markup: { low: 2.5, high: 3 }, priceCeiling: 4, paymentFeeRate: 0.029, paymentFeeFixed: 0.3 },
  })
  t.end()
})

t.test('YouTube out of quota: trend keeps its Facebook part and the total drops by the missing weight', (t) => {
  // The two YouTube parts hold 0.7 of trend's 20: (7917 - 14x50) / 100 = 72.17
  const result = scoreProduct(
    { aliexpress: aliexpressOk(), facebook: facebookOk, youtube: { status: 'quota_exhausted', reason: 'daily search quota used up' }, shipping: shippingOk },
    DEFAULT_WEIGHTS,
  )
  t.equal(result.score.total, 72)
  t.equal(result.score.components.trend, 50)
  t.equal(result.confidence, 0.86)
  t.equal(result.verdict, 'promising')
  t.same(result.reasons.at(-1), {
    code: 'SOURCE_QUOTA_EXHAUSTED',
    effect: 'negative',
    message: 'YouTube data unavailable (quota_exhausted); trend scored without it',
  })
  t.end()
})

t.test('only AliExpress answered', (t) => {
  // (21x75 + 15x97.19 + 15x80) / 100; confidence (21 + 15 + 15) / 100
  const result = scoreProduct(
    {
      aliexpress: aliexpressOk({ ordersLast30Days: 2431 }),
      facebook: { status: 'rate_limited', reason: 'application request limit reached', retryAfterMs: 60_000 },
      youtube: { status: 'unavailable', reason: 'timeout' },
      shipping: shippingOk,
    },
    DEFAULT_WEIGHTS,
  )
  const ordersPart = 25 * Math.log10(2432)
  t.equal(result.score.total, Math.round((21 * ordersPart + 15 * MARGIN + 1200) / 100))
  t.same(result.score.components, { demand: Math.round(ordersPart), trend: null, competition: null, margin: 97, quality: 80 })
  t.equal(result.confidence, 0.51)
  t.equal(result.verdict, 'risky')
  t.same(result.reasons[0], { code: 'HIGH_SALES_VELOCITY', effect: 'positive', message: '2,431 orders in the last 30 days' })
  t.same(
    result.reasons.slice(-2).map((r) => r.message),
    [
      'Facebook ad data unavailable (rate_limited); demand scored without it, trend and competition not scored',
      'YouTube data unavailable (unavailable); trend not scored',
    ],
  )
  t.end()
})

t.test('gates cap a good score at risky and say why', (t) => {
  const result = scoreProduct({ aliexpress: aliexpressOk({ positiveFeedbackRate: 88 }), facebook: facebookOk, youtube: youtubeOk, shipping: shippingOk }, DEFAULT_WEIGHTS)
  // quality falls to 24: (7917 - 1200 + 15x24) / 100 = 70.77
  t.equal(result.score.total, 71)
  t.equal(result.verdict, 'risky')
  t.same(result.gates, [{ code: 'LOW_FEEDBACK', message: 'positive feedback 88.0% is under 90%' }])
  t.ok(result.reasons.some((r) => r.code === 'LOW_FEEDBACK' && r.effect === 'negative'))

  const noOrders = scoreProduct({ aliexpress: aliexpressOk({ ordersLast30Days: 0 }), facebook: facebookOk, youtube: youtubeOk }, DEFAULT_WEIGHTS)
  t.same(noOrders.gates, [{ code: 'NO_ORDERS', message: 'no orders in the last 30 days' }])

  const saturated = scoreProduct(
    { aliexpress: aliexpressOk(), facebook: { status: 'ok', data: { ...facebookOk.data, activeAds: 3000, advertisers: 612 } }, youtube: youtubeOk },
    DEFAULT_WEIGHTS,
  )
  t.same(saturated.gates, [{ code: 'SATURATED', message: '612 advertisers run ads for these terms (more than 500)' }])
  t.equal(saturated.reasons.find((r) => r.code === 'SATURATED_MARKET')?.effect, 'negative')
  t.end()
})

t.test('no AliExpress product means insufficient data whatever else is known', (t) => {
  const result = scoreProduct({ aliexpress: { status: 'not_found', reason: 'no such product' }, facebook: facebookOk, youtube: youtubeOk }, DEFAULT_WEIGHTS)
  t.equal(result.verdict, 'insufficient_data')
  t.equal(result.confidence, 0.49)
  t.same(result.gates, [])
  t.equal(result.reasons.at(-1)?.code, 'SOURCE_NOT_FOUND')

  const nothing = scoreProduct(
    { aliexpress: { status: 'not_configured', reason: 'no key' }, facebook: { status: 'not_configured', reason: 'no token' }, youtube: { status: 'not_configured', reason: 'no key' } },
    DEFAULT_WEIGHTS,
  )
  t.equal(nothing.score.total, null)
  t.equal(nothing.confidence, 0)
  t.equal(nothing.verdict, 'insufficient_data')
  t.end()
})

t.test('no ads at all and prices in other currencies', (t) => {
  const result = scoreProduct(
    {
      aliexpress: aliexpressOk({ price: { sale: 1.5, currency: 'EUR' } }),
      facebook: { status: 'ok', data: { activeAds: 0, advertisers: 0, medianAdAgeDays: null, longestRunningAdDays: null, newAdsLast7Days: 0, truncated: false } },
      youtube: youtubeOk,
    },
    DEFAULT_WEIGHTS,
  )
  t.same(result.reasons.find((r) => r.code === 'NO_ADS_YET'), { code: 'NO_ADS_YET', effect: 'negative', message: 'no active ads for these terms yet: demand is unproven' })
  t.notOk(result.reasons.some((r) => r.code.endsWith('RUNNING_ADS')), 'no longevity claim without ads')
  t.same(result.reasons.find((r) => r.code === 'FAIR_MARGIN'), {
    code: 'FAIR_MARGIN',
    effect: 'neutral',
    message: 'sale price €1.50: fees take much of a 2.5-3x markup; shipping unknown, so landed margin and ad room are not scored',
  })
  t.same(result.reasons.find((r) => r.code === 'SHIPPING_UNKNOWN'), {
    code: 'SHIPPING_UNKNOWN',
    effect: 'negative',
    message: 'shipping cost unknown (the freight API was not asked): landed margin and break-even ad cost count as 0 in the total, so the score cannot gain from the gap',
  })
  t.equal(result.score.components.demand, Math.round(0.7 * 75), 'ad longevity counts as zero days')

  const yen = scoreProduct(
    { aliexpress: aliexpressOk({ price: { sale: 1500, currency: 'JPY' } }), facebook: facebookOk, youtube: youtubeOk, shipping: shippingOk },
    DEFAULT_WEIGHTS,
  )
  t.equal(yen.score.components.margin, null)
  t.equal(yen.confidence, 0.85)
  t.ok(yen.reasons.some((r) => r.code === 'MARGIN_CURRENCY_UNSUPPORTED'))
  t.end()
})

// ---------------------------------------------------------------------------------------------------
// Landed cost: shipping to the market is part of the margin.

const priced = fc.record({
  sale: fc.double({ min: 0.05, max: 500, noNaN: true }).map((n) => Math.round(n * 100) / 100),
  currency: fc.constantFrom('USD', 'EUR', 'GBP', 'CAD'),
})
const withShipping = (input: ScoreInput, sale: number, currency: string, cost: number | undefined): ScoreInput => {
  const data = input.aliexpress.status === 'ok' ? input.aliexpress.data : (aliexpressOk() as { data: AliexpressProduct }).data
  return {
    ...input,
    aliexpress: { status: 'ok', data: { ...data, price: { sale, currency } } },
    shipping: cost === undefined ? undefined : { status: 'ok', data: { cost, currency, free: cost === 0, options: 1 } },
  }
}

t.test('shipping three times the price scores lower on margin than free shipping', (t) => {
  holds(
    t,
    fc.property(scoreInput, priced, weights, (input, { sale, currency }, w) => {
      const free = scoreProduct(withShipping(input, sale, currency, 0), w)
      const heavy = scoreProduct(withShipping(input, sale, currency, Math.round(3 * sale * 100) / 100), w)
      const margin = (r: ScoreResult) => marginScore({ salePrice: sale, currency, grossMargin: r.economics.grossMargin, breakEvenCpa: r.economics.breakEvenCpa })!
      // Items so cheap that even free shipping leaves nothing after the fixed fee score 0 on both.
      const strictly = free.economics.grossMargin! > 0 ? margin(heavy) < margin(free) : margin(heavy) <= margin(free)
      return strictly && totalOf(heavy) <= totalOf(free) && heavy.economics.landedCost! > free.economics.landedCost!
    }),
    'a heavy shipping cost lowers the margin, and never raises the total',
  )
  t.end()
})

t.test('missing shipping data never raises the score', (t) => {
  holds(
    t,
    fc.property(scoreInput, priced, fc.double({ min: 0, max: 2_000, noNaN: true }), failure, weights, (input, { sale, currency }, cost, status, w) => {
      const known = scoreProduct(withShipping(input, sale, currency, Math.round(cost * 100) / 100), w)
      const unknowns = [withShipping(input, sale, currency, undefined), { ...withShipping(input, sale, currency, 0), shipping: status }]
      return unknowns.every((u) => {
        const r = scoreProduct(u, w)
        return (
          totalOf(r) <= totalOf(known) &&
          r.confidence <= known.confidence &&
          VERDICT_RANK[r.verdict] <= VERDICT_RANK[known.verdict] &&
          r.economics.landedCost === null &&
          (w.margin === 0 || r.reasons.some((reason) => reason.code === 'SHIPPING_UNKNOWN'))
        )
      })
    }),
    'whatever the shipping cost would have been, not knowing it scores no higher, and a reason says so',
  )
  t.end()
})

t.test('a $3 item that costs $9 to ship, by hand', (t) => {
  const input = (cost: number): ScoreInput => ({
    aliexpress: aliexpressOk({ price: { sale: 3, currency: 'USD' } }),
    facebook: facebookOk,
    youtube: youtubeOk,
    shipping: { status: 'ok', data: { cost, currency: 'USD', free: cost === 0, options: 1 } },
    market: US,
  })
  const free = scoreProduct(input(0), DEFAULT_WEIGHTS)
  const heavy = scoreProduct(input(9), DEFAULT_WEIGHTS)
  // Free: $3 landed, sold at $9; fees $0.561; $5.44 left: margin 0.604 -> 100, ad room 21.76; price point 100.
  t.match(free.economics, { landedCost: 3, suggestedPrice: { low: 7.5, high: 9 }, grossMargin: 0.604, breakEvenCpa: 5.44 })
  t.equal(free.score.components.margin, Math.round(0.3 * 100 + 0.4 * 100 + 0.3 * 21.76), '77')
  // $9 shipping: $12 landed; 3x would be $36 for a $3 item, so the 4x ceiling holds it at $12: nothing left.
  t.match(heavy.economics, { landedCost: 12, suggestedPrice: { low: 12, high: 12 }, grossMargin: -0.054, breakEvenCpa: -0.65 })
  t.equal(heavy.score.components.margin, 30, 'only the price point is left: 0.3 x 100')
  t.ok(heavy.score.total! < free.score.total!)
  t.match(heavy.reasons.find((r) => r.code === 'THIN_MARGIN'), {
    effect: 'negative',
    message:
      'landed cost $12.00 ($3.00 item + $9.00 shipping to US); sold at $12.00 (capped at 4x the item cost), gross margin -5% and -$0.65 per sale for ads (break-even cost per acquisition)',
  })
  t.end()
})

t.test('weights come from configuration and must be non-negative', (t) => {
  const input = { aliexpress: aliexpressOk(), facebook: facebookOk, youtube: youtubeOk }
  const onlyQuality = scoreProduct(input, { demand: 0, trend: 0, competition: 0, margin: 0, quality: 1 })
  t.equal(onlyQuality.score.total, 80)
  t.same(onlyQuality.reasons.map((r) => r.code), ['HIGH_FEEDBACK'], 'components without weight did not move the score')
  t.throws(() => scoreProduct(input, { ...DEFAULT_WEIGHTS, trend: -1 }), RangeError)
  t.throws(() => scoreProduct(input, { ...DEFAULT_WEIGHTS, trend: Number.NaN }), RangeError)
  t.end()
})
