import Type from 'typebox'
import { MarketQuerySchema } from './common.ts'

const Num = Type.Optional(Type.Number())
const Str = Type.Optional(Type.String())
const Status = Type.Union(
  ['ok', 'not_found', 'unavailable', 'rate_limited', 'quota_exhausted', 'not_configured'].map((s) => Type.Literal(s)),
)
const MaybeNum = Type.Union([Type.Number(), Type.Null()])

const Signal = <T extends Type.TSchema>(data: T) =>
  Type.Object({ status: Status, fetchedAt: Type.String(), data: Type.Optional(data), reason: Str })

const Price = Type.Object({ sale: Num, original: Num, currency: Str })

export const ValidationSchema = Type.Object(
  {
    productId: Type.String(),
    market: Type.Object({ country: Type.String(), currency: Type.String() }),
    product: Type.Object({
      title: Type.String(),
      url: Type.String(),
      imageUrl: Str,
      category: Str,
      price: Price,
      ordersLast30Days: Num,
      positiveFeedbackRate: Num,
      shop: Type.Object({ id: Str, url: Str }),
    }),
    keywords: Type.String(),
    signals: Type.Object({
      aliexpress: Signal(
        Type.Object({ salePrice: Num, originalPrice: Num, currency: Str, ordersLast30Days: Num, positiveFeedbackRate: Num, commissionRate: Num }),
      ),
      facebook: Signal(
        Type.Object({
          activeAds: Type.Number(),
          advertisers: Type.Number(),
          medianAdAgeDays: MaybeNum,
          longestRunningAdDays: MaybeNum,
          newAdsLast7Days: Type.Number(),
          truncated: Type.Boolean(),
        }),
      ),
      youtube: Signal(
        Type.Object({
          videos: Type.Number(),
          totalViews: Type.Number(),
          medianViews: MaybeNum,
          topVideoViews: MaybeNum,
          videosLast30Days: Type.Number(),
          viewsLast30Days: Type.Number(),
        }),
      ),
    }),
    score: Type.Object({
      total: MaybeNum,
      components: Type.Object({ demand: MaybeNum, trend: MaybeNum, competition: MaybeNum, margin: MaybeNum, quality: MaybeNum }),
    }),
    verdict: Type.Union(['strong', 'promising', 'risky', 'avoid', 'insufficient_data'].map((v) => Type.Literal(v))),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    reasons: Type.Array(
      Type.Object({ code: Type.String(), effect: Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('neutral')]), message: Type.String() }),
    ),
    gates: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
    scoringVersion: Type.String(),
    validatedAt: Type.String(),
    expiresAt: Type.String(),
    sandbox: Type.Optional(Type.Literal(true)),
  },
  { $id: 'Validation' },
)

const Keywords = Type.Optional(Type.String({ minLength: 2, maxLength: 100, description: 'overrides the search terms derived from the title' }))

export const ProductParamsSchema = Type.Object({ productId: Type.String({ pattern: '^[1-9][0-9]{5,19}$', description: 'AliExpress product id' }) })
export const ValidationQuerySchema = Type.Object({ ...MarketQuerySchema, keywords: Keywords }, { additionalProperties: false })

export const ValidationBodySchema = Type.Object(
  {
    product: Type.String({ minLength: 1, maxLength: 2048, description: 'AliExpress product id or item URL' }),
    ...MarketQuerySchema,
    keywords: Keywords,
  },
  { additionalProperties: false },
)

export const MAX_BATCH = 50
export const BatchBodySchema = Type.Object(
  {
    products: Type.Array(Type.String({ maxLength: 2048 }), { minItems: 1, maxItems: MAX_BATCH }),
    ...MarketQuerySchema,
  },
  { additionalProperties: false },
)

export const BatchItemSchema = Type.Union([
  Type.Object({ input: Type.String(), status: Type.Literal('ok'), validation: Type.Ref('Validation') }),
  Type.Object({ input: Type.String(), status: Type.Literal('error'), error: Type.Object({ code: Type.String(), message: Type.String() }) }),
])

export const BatchResponseSchema = Type.Object({
  results: Type.Array(BatchItemSchema),
  summary: Type.Object({
    requested: Type.Integer(),
    unique: Type.Integer(),
    fromCache: Type.Integer(),
    fetched: Type.Integer(),
    failed: Type.Integer(),
    durationMs: Type.Integer(),
  }),
})
