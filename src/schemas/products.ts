import Type, { type Static } from 'typebox'
import { EXAMPLES } from './examples.ts'
import { MarketFields, MarketSchema, RefreshField } from './market.ts'
import { EconomicsSchema, PRINTABLE, ScoreSchema, ValidationSchema, VERDICTS } from './validation.ts'

// Search, suppliers and history: the other product routes' shapes, types derived from them.

export const SEARCH_SORTS = ['SALE_PRICE_ASC', 'SALE_PRICE_DESC', 'LAST_VOLUME_ASC', 'LAST_VOLUME_DESC'] as const
export type SearchSort = (typeof SEARCH_SORTS)[number]

const Num = Type.Optional(Type.Number())
const Str = Type.Optional(Type.String())

export const ListingSchema = Type.Object({
  productId: Type.String(),
  title: Type.String(),
  url: Type.String(),
  imageUrl: Str,
  category: Str,
  categoryId: Str,
  firstLevelCategoryId: Type.Optional(Type.String({ description: 'AliExpress top-level category id' })),
  price: Type.Object({ sale: Num, original: Num, currency: Str }),
  ordersLast30Days: Num,
  positiveFeedbackRate: Type.Optional(Type.Number({ description: 'percent, 0-100' })),
  commissionRate: Type.Optional(Type.Number({ description: 'affiliate commission, percent' })),
  shop: Type.Object({ id: Str, url: Str, name: Str }),
  promotionUrl: Type.Optional(Type.String({ description: 'affiliate tracking link, when a tracking id is configured' })),
  priceDelta: Type.Optional(Type.Number({ description: 'sale price relative to the product asked about: -0.12 is 12% cheaper' })),
  shipToDays: Type.Optional(Type.Number({ description: "AliExpress's delivery estimate to the market's country, days" })),
})
export type Listing = Static<typeof ListingSchema>

export const SearchQuerySchema = Type.Object(
  {
    q: Type.String({ minLength: 2, maxLength: 100, pattern: PRINTABLE }),
    page: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    sort: Type.Optional(Type.Enum(SEARCH_SORTS)),
    ...MarketFields,
    ...RefreshField,
  },
  { additionalProperties: false },
)

export const SearchResponseSchema = Type.Object(
  {
  query: Type.String(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalResults: Type.Optional(Type.Integer()),
  products: Type.Array(ListingSchema),
  },
  { examples: [EXAMPLES.search] },
)
export type SearchAnswer = Static<typeof SearchResponseSchema>

const MatchSchema = Type.Object({
  similarity: Type.Number({ minimum: 0, maximum: 1, description: 'title similarity, or 1 for the very same main image' }),
  titleSimilarity: Type.Number({ minimum: 0, maximum: 1 }),
  priceRatio: Type.Optional(Type.Number({ description: "the listing's sale price over the product's" })),
  sameCategory: Type.Optional(Type.Boolean({ description: 'same first-level category; absent when either does not say' })),
  sameImage: Type.Boolean({ description: 'the same main image file on the AliExpress CDN' }),
})

export const SupplierSchema = Type.Object({ ...ListingSchema.properties, match: MatchSchema })
export type Supplier = Static<typeof SupplierSchema>
export const AlternativeSchema = Type.Object({
  ...ListingSchema.properties,
  match: MatchSchema,
  mismatch: Type.Array(Type.String(), { description: 'why it is not the same product' }),
})
export type Alternative = Static<typeof AlternativeSchema>

export const SuppliersResponseSchema = Type.Object(
  {
  productId: Type.String(),
  market: MarketSchema,
  keywords: Type.String({ description: 'what AliExpress was searched for' }),
  product: ListingSchema,
  suppliers: Type.Array(SupplierSchema, { description: 'other listings of the same product: they passed the similarity check' }),
  alternatives: Type.Array(AlternativeSchema, { description: 'listings the search found that are not the same product' }),
  criteria: Type.Object({
    minTitleSimilarity: Type.Number(),
    priceBand: Type.Object({ min: Type.Number(), max: Type.Number() }, { description: "allowed sale price, as a ratio of the product's" }),
    picks: Type.String({ description: 'which suppliers cheapest, mostOrders and bestFeedback choose from' }),
  }),
  cheapest: Type.Optional(Type.String({ description: 'product id; among suppliers with enough feedback and orders only' })),
  mostOrders: Str,
  bestFeedback: Str,
  },
  { examples: [EXAMPLES.suppliers] },
)
export type SuppliersAnswer = Static<typeof SuppliersResponseSchema>

export const SuppliersQuerySchema = Type.Object({ ...MarketFields, ...RefreshField }, { additionalProperties: false })

export const HistoryQuerySchema = Type.Object(
  {
    ...MarketFields,
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    before: Type.Optional(Type.String({ format: 'date-time', maxLength: 40, description: '`nextBefore` of the previous page' })),
  },
  { additionalProperties: false },
)

export const HistoryItemSchema = Type.Object({
  validatedAt: Type.String(),
  expiresAt: Type.String(),
  market: MarketSchema,
  score: ScoreSchema.properties.total,
  verdict: Type.Enum(VERDICTS),
  confidence: Type.Number(),
  scoringVersion: Type.String(),
  components: ScoreSchema.properties.components,
})
export type HistoryItem = Static<typeof HistoryItemSchema>

export const HistoryResponseSchema = Type.Object(
  {
  productId: Type.String(),
  items: Type.Array(HistoryItemSchema),
  nextBefore: Type.Optional(Type.String({ description: 'pass as `before` for older items; absent on the last page' })),
  },
  { examples: [EXAMPLES.history] },
)
export type HistoryPage = Omit<Static<typeof HistoryResponseSchema>, 'productId'>

/** The verdicts a top list can ask for: every one with a score. */
export const RANKED_VERDICTS = ['strong', 'promising', 'risky', 'avoid'] as const

export const TopQuerySchema = Type.Object(
  {
    verdict: Type.Optional(Type.Enum(RANKED_VERDICTS, { description: 'only this verdict (default: every verdict with a score)' })),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: "the product's AliExpress category, any case" })),
    minScore: Type.Integer({ minimum: 0, maximum: 100, default: 0 }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: '`nextCursor` of the previous page' })),
    country: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$', description: 'only validations for this ship-to country' })),
    currency: MarketFields.currency,
  },
  { additionalProperties: false },
)

export const TopItemSchema = Type.Object({
  productId: Type.String(),
  market: MarketSchema,
  product: ValidationSchema.properties.product,
  score: Type.Integer({ minimum: 0, maximum: 100 }),
  verdict: Type.Enum(VERDICTS),
  confidence: Type.Number(),
  components: ScoreSchema.properties.components,
  economics: Type.Optional(EconomicsSchema),
  validatedAt: Type.String(),
  expiresAt: Type.String(),
  scoringVersion: Type.String(),
})
export type TopItem = Static<typeof TopItemSchema>

export const TopResponseSchema = Type.Object({
  scoringVersion: Type.String({ description: 'only validations of the current scoring version are listed' }),
  items: Type.Array(TopItemSchema, { description: 'best first: score, then the newest' }),
  nextCursor: Type.Optional(Type.String({ description: 'pass as `cursor` for the next page; absent on the last page' })),
})
export type TopPage = Omit<Static<typeof TopResponseSchema>, 'scoringVersion'>
