import Type, { type Static } from 'typebox'

// Where a product is sold: the ship-to country (taxes, availability) and the currency AliExpress
// converts prices to. Defaults, the accepted values and the query fragment live here only.

/** `target_currency` values of the AliExpress affiliate API (aliexpress.affiliate.productdetail.get). */
export const CURRENCIES = [
  'USD', 'GBP', 'CAD', 'EUR', 'UAH', 'MXN', 'TRY', 'RUB', 'BRL', 'AUD', 'INR', 'JPY', 'IDR', 'SEK', 'KRW', 'ILS', 'THB', 'CLP', 'VND',
] as const

export const DEFAULT_MARKET = { country: 'US', currency: 'USD' } as const

export const MarketSchema = Type.Object({
  country: Type.String({ description: 'ISO 3166 alpha-2, upper case' }),
  currency: Type.String({ description: 'ISO 4217, upper case' }),
})
export type Market = Static<typeof MarketSchema>

/** The optional `country` and `currency` of a query string or body. */
export const MarketFields = {
  country: Type.Optional(
    Type.String({ pattern: '^[A-Za-z]{2}$', description: `ISO 3166 alpha-2 ship-to country, any case (default ${DEFAULT_MARKET.country})` }),
  ),
  currency: Type.Optional(Type.Enum(CURRENCIES, { description: `ISO 4217 price currency (default ${DEFAULT_MARKET.currency})` })),
}

/** A validated request's market with its defaults applied. */
export function marketOf(fields: { country?: string; currency?: string }): Market {
  return { country: fields.country?.toUpperCase() ?? DEFAULT_MARKET.country, currency: fields.currency ?? DEFAULT_MARKET.currency }
}

/** `?refresh=true`: the answer fetched anew from the upstreams, within a small per-client budget. */
export const RefreshField = {
  refresh: Type.Optional(Type.Boolean({ description: 'fetch anew from the upstreams instead of the cache; limited per client (REFRESH_RATE_LIMIT_MAX)' })),
}
