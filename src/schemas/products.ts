import Type from 'typebox'
import { MarketQuerySchema } from './common.ts'

const Num = Type.Optional(Type.Number())
const Str = Type.Optional(Type.String())

const Listing = Type.Object({
  productId: Type.String(),
  title: Type.String(),
  url: Type.String(),
  imageUrl: Str,
  price: Type.Object({ sale: Num, original: Num, currency: Str }),
  ordersLast30Days: Num,
  positiveFeedbackRate: Num,
  shop: Type.Object({ id: Str, url: Str, name: Str }),
  priceDelta: Num,
})

export const SearchQuerySchema = Type.Object(
  {
    q: Type.String({ minLength: 2, maxLength: 100 }),
    page: Type.Integer({ minimum: 1, maximum: 100, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    sort: Type.Optional(
      Type.Union(['SALE_PRICE_ASC', 'SALE_PRICE_DESC', 'LAST_VOLUME_ASC', 'LAST_VOLUME_DESC'].map((s) => Type.Literal(s))),
    ),
    ...MarketQuerySchema,
  },
  { additionalProperties: false },
)

export const SearchResponseSchema = Type.Object({
  query: Type.String(),
  page: Type.Integer(),
  pageSize: Type.Integer(),
  totalResults: Type.Optional(Type.Integer()),
  products: Type.Array(Listing),
})

export const SuppliersResponseSchema = Type.Object({
  productId: Type.String(),
  market: Type.Object({ country: Type.String(), currency: Type.String() }),
  keywords: Type.String(),
  product: Listing,
  suppliers: Type.Array(Listing),
  cheapest: Str,
  mostOrders: Str,
  bestFeedback: Str,
})

export const MarketOnlyQuerySchema = Type.Object({ ...MarketQuerySchema }, { additionalProperties: false })

export const HistoryQuerySchema = Type.Object(
  {
    ...MarketQuerySchema,
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    before: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)
