import Type, { type Static } from 'typebox'
import { MarketFields, MarketSchema } from './market.ts'
import { PRINTABLE, ScoreSchema, VERDICTS } from './validation.ts'

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
  price: Type.Object({ sale: Num, original: Num, currency: Str }),
  ordersLast30Days: Num,
  positiveFeedbackRate: Type.Optional(Type.Number({ description: 'percent, 0-100' })),
  commissionRate: Type.Optional(Type.Number({ description: 'affiliate commission, percent' })),
  shop: Type.Object({ id: Str, url: Str, name: Str }),
  promotionUrl: Type.Optional(Type.String({ description: 'affiliate tracking link, when a tracking id is configured' })),
  priceDelta: Type.Optional(Type.Number({ description: 'sale price relative to the product asked about: -0.12 is 12% cheaper' })),
})
export type Listing = Static<typeof ListingSchema>

export const SearchQuerySchema = Type.Object(
  {
    q: Type.String({ minLength: 2, maxLength: 100, pattern: PRINTABLE }),
    page: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    sort: Type.Optional(Type.Enum(SEARCH_SORTS)),
    ...MarketFields,
  },
  { additionalProperties: false },
)

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalResults: Type.Optional(Type.Integer()),
  products: Type.Array(ListingSchema),
})
export type SearchAnswer = Static<typeof SearchResponseSchema>

export const SuppliersResponseSchema = Type.Object({
  productId: Type.String(),
  market: MarketSchema,
  keywords: Type.String(),
  product: ListingSchema,
  suppliers: Type.Array(ListingSchema),
  cheapest: Str,
  mostOrders: Str,
  bestFeedback: Str,
})
export type SuppliersAnswer = Static<typeof SuppliersResponseSchema>

export const MarketOnlyQuerySchema = Type.Object({ ...MarketFields }, { additionalProperties: false })

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

export const HistoryResponseSchema = Type.Object({
  productId: Type.String(),
  items: Type.Array(HistoryItemSchema),
  nextBefore: Type.Optional(Type.String({ description: 'pass as `before` for older items; absent on the last page' })),
})
export type HistoryPage = Omit<Static<typeof HistoryResponseSchema>, 'productId'>
