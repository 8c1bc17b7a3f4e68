import Type, { type Static, type TSchema } from 'typebox'
import { EXAMPLES } from './examples.ts'
import { MarketFields, MarketSchema, RefreshField } from './market.ts'

// The public validation object and the requests that produce it. Every TypeScript type of these
// shapes is derived from the schema (Static), so the response schema, the OpenAPI document and the
// code cannot disagree.

export const VERDICTS = ['strong', 'promising', 'risky', 'avoid', 'insufficient_data'] as const
export const SOURCE_STATUSES = ['ok', 'not_found', 'unavailable', 'rate_limited', 'quota_exhausted', 'not_configured'] as const
export const COMPONENTS = ['demand', 'trend', 'competition', 'margin', 'quality'] as const
export const EFFECTS = ['positive', 'negative', 'neutral'] as const

export type Verdict = (typeof VERDICTS)[number]
export type SourceStatus = (typeof SOURCE_STATUSES)[number]
export type ComponentName = (typeof COMPONENTS)[number]

/** YouTube videos are searched this far back; the last 30 days of it count as recent. */
export const YOUTUBE_WINDOW_DAYS = 180
export const RECENT_DAYS = 30

const Num = Type.Optional(Type.Number())
const Str = Type.Optional(Type.String())
const MaybeNum = Type.Union([Type.Number(), Type.Null()])

export const AliexpressSignalSchema = Type.Object({
  salePrice: Num,
  originalPrice: Num,
  currency: Str,
  ordersLast30Days: Num,
  positiveFeedbackRate: Num,
  commissionRate: Num,
})

export const FacebookAdStatsSchema = Type.Object({
  activeAds: Type.Number(),
  advertisers: Type.Number(),
  medianAdAgeDays: MaybeNum,
  longestRunningAdDays: MaybeNum,
  newAdsLast7Days: Type.Number(),
  /** true when the page cap stopped the count before the last page */
  truncated: Type.Boolean(),
})

export const YoutubeStatsSchema = Type.Object({
  videos: Type.Number(),
  totalViews: Type.Number(),
  medianViews: MaybeNum,
  topVideoViews: MaybeNum,
  videosLast30Days: Type.Number(),
  viewsLast30Days: Type.Number(),
})

export const ShippingQuoteSchema = Type.Object({
  cost: Type.Number({ description: "the cheapest delivery option's fee for one unit, in `currency`; 0 when free" }),
  currency: Type.String(),
  free: Type.Boolean(),
  minDays: Num,
  maxDays: Num,
  carrier: Str,
  shipFrom: Type.Optional(Type.String({ description: 'ISO country the parcel leaves from' })),
  options: Type.Integer({ description: 'usable delivery options AliExpress offered' }),
})

const Amount = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })

/** What a product costs landed in the market and what it can earn; docs/scoring.md ("Landed cost"). */
export const EconomicsSchema = Type.Object({
  currency: Type.String({ description: 'of every amount here: the market currency' }),
  itemCost: Amount('AliExpress sale price of one unit'),
  shipping: Type.Object({
    status: Type.Enum(SOURCE_STATUSES, { description: 'of the freight answer: ok, or why no shipping cost is known' }),
    cost: Amount('the cheapest delivery of one unit to the market; null when unknown'),
    carrier: Str,
    minDays: Num,
    maxDays: Num,
    daysSource: Type.Optional(Type.Enum(['freight', 'affiliate'], { description: "the freight API, or the affiliate answer's ship_to_days" })),
  }),
  landedCost: Amount('item plus shipping; null while shipping is unknown'),
  suggestedPrice: Type.Union([Type.Object({ low: Type.Number(), high: Type.Number() }), Type.Null()], {
    description: '2.5-3x the landed cost, capped at 4x the item cost; null while shipping is unknown',
  }),
  grossMargin: Amount('at the high end of the band after payment fees, as a fraction (0.35 is 35%); can be negative'),
  breakEvenCpa: Amount('what a sale at the high end of the band leaves after landed cost and fees: the most an ad may cost per sale'),
  assumptions: Type.Object({
    markup: Type.Object({ low: Type.Number(), high: Type.Number() }, { description: 'times the landed cost' }),
    priceCeiling: Type.Number({ description: 'times the item cost; shoppers can find the item on AliExpress' }),
    paymentFeeRate: Type.Number(),
    paymentFeeFixed: Amount('per order, in `currency`; null for a currency the model has no scale for'),
  }),
})

export type AliexpressSignal = Static<typeof AliexpressSignalSchema>
export type Economics = Static<typeof EconomicsSchema>
export type ShippingQuote = Static<typeof ShippingQuoteSchema>
export type FacebookAdStats = Static<typeof FacebookAdStatsSchema>
export type YoutubeStats = Static<typeof YoutubeStatsSchema>

/** Where each source was measured: not always the market asked about (docs/scoring.md, "Markets"). */
export const AliexpressMarketSchema = Type.Object(
  { country: Type.String(), currency: Type.String() },
  { description: 'the ship-to country and currency AliExpress was asked for' },
)
export const FacebookMarketSchema = Type.Object(
  { countries: Type.Array(Type.String()) },
  { description: "the countries Meta's Ad Library was searched in (FACEBOOK_AD_COUNTRIES)" },
)
export const YoutubeMarketSchema = Type.Object({ regionCode: Type.String() }, { description: 'the regionCode YouTube search was asked with' })

const Signal = <T extends TSchema, M extends TSchema>(data: T, measuredIn: M) =>
  Type.Object({
    status: Type.Enum(SOURCE_STATUSES),
    fetchedAt: Type.String(),
    measuredIn,
    data: Type.Optional(data),
    reason: Type.Optional(Type.String({ description: 'why the source has no data, when it has none' })),
  })

export const ReasonSchema = Type.Object({ code: Type.String(), effect: Type.Enum(EFFECTS), message: Type.String() })
export const GateSchema = Type.Object({ code: Type.String(), message: Type.String() })
const Components = Type.Object(Object.fromEntries(COMPONENTS.map((name) => [name, MaybeNum])) as Record<ComponentName, typeof MaybeNum>)
export const ScoreSchema = Type.Object({ total: MaybeNum, components: Components })

export type Reason = Static<typeof ReasonSchema>
export type Gate = Static<typeof GateSchema>
export type Score = Static<typeof ScoreSchema>

export const ValidationSchema = Type.Object(
  {
    productId: Type.String(),
    market: MarketSchema,
    product: Type.Object({
      title: Type.String(),
      url: Type.String(),
      imageUrl: Str,
      category: Str,
      price: Type.Object({ sale: Num, original: Num, currency: Str }),
      ordersLast30Days: Num,
      positiveFeedbackRate: Num,
      shop: Type.Object({ id: Str, url: Str }),
    }),
    keywords: Type.String({ description: 'what Meta and YouTube were asked' }),
    signals: Type.Object({
      aliexpress: Signal(AliexpressSignalSchema, AliexpressMarketSchema),
      facebook: Signal(FacebookAdStatsSchema, FacebookMarketSchema),
      youtube: Signal(YoutubeStatsSchema, YoutubeMarketSchema),
      shipping: Signal(ShippingQuoteSchema, AliexpressMarketSchema),
    }),
    economics: EconomicsSchema,
    score: ScoreSchema,
    verdict: Type.Enum(VERDICTS),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    reasons: Type.Array(ReasonSchema),
    gates: Type.Array(GateSchema),
    scoringVersion: Type.String(),
    validatedAt: Type.String(),
    expiresAt: Type.String(),
    sandbox: Type.Optional(Type.Literal(true, { description: 'present only when the data came from the sandbox upstreams' })),
  },
  { $id: 'Validation', examples: [EXAMPLES.validation] },
)

export type Validation = Static<typeof ValidationSchema>
export type SignalEnvelope<T, M> = { status: SourceStatus; fetchedAt: string; measuredIn: M; data?: T; reason?: string }
/** What scoring concludes from the signals. */
export type Assessment = Pick<Validation, 'score' | 'verdict' | 'confidence' | 'reasons' | 'gates' | 'economics' | 'scoringVersion'>

/** Free text that reaches the upstreams' queries and comes back in answers: no control characters. */
export const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]*$'
const Keywords = Type.Optional(
  Type.String({ minLength: 2, maxLength: 100, pattern: PRINTABLE, description: 'overrides the search terms derived from the title' }),
)

export const ValidationQuerySchema = Type.Object({ ...MarketFields, keywords: Keywords, ...RefreshField }, { additionalProperties: false })

export const ValidationBodySchema = Type.Object(
  {
    product: Type.String({ minLength: 1, maxLength: 2048, description: 'AliExpress product id or item URL' }),
    ...MarketFields,
    keywords: Keywords,
  },
  { additionalProperties: false },
)

export const MAX_BATCH = 50
export const BatchBodySchema = Type.Object(
  {
    products: Type.Array(Type.String({ maxLength: 2048 }), { minItems: 1, maxItems: MAX_BATCH }),
    ...MarketFields,
  },
  { additionalProperties: false },
)

const ItemError = Type.Object({ code: Type.String(), message: Type.String() })
export const BatchItemSchema = Type.Union([
  Type.Object({ input: Type.String(), status: Type.Literal('ok'), validation: Type.Ref('Validation') }),
  Type.Object({ input: Type.String(), status: Type.Literal('error'), error: ItemError }),
])

export const BatchSummarySchema = Type.Object({
  requested: Type.Integer(),
  unique: Type.Integer(),
  fromCache: Type.Integer(),
  fetched: Type.Integer(),
  failed: Type.Integer(),
  durationMs: Type.Integer(),
})
export type BatchSummary = Static<typeof BatchSummarySchema>

export const BatchResponseSchema = Type.Object({ results: Type.Array(BatchItemSchema), summary: BatchSummarySchema }, { examples: [EXAMPLES.batch] })
