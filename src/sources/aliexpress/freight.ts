import type { Market, ShippingQuote, SourceFailure, SourceResult } from '../../validation/sources.ts'
import { type AliexpressErrorBody, classifyError } from './parse.ts'
import type { ParamValue } from './sign.ts'
import { asArray, isObject, type Json, parseDecimal, parseJsonKeepingIds, text } from './values.ts'

// Shipping cost and delivery time to a country, from AliExpress's dropshipping (DS) API. Two calls, both
// needing a dropshipper's `session` token (an app key alone is refused):
// - aliexpress.ds.product.get: the product's SKUs; the freight API wants one (`selectedSkuId` is required).
// - aliexpress.ds.freight.query: one parameter, `queryDeliveryReq`, a JSON object of quantity,
//   shipToCountry, productId, selectedSkuId, language, locale and currency; the answer's result carries
//   success, code, msg and delivery_options (code, company, shipping_fee_cent, shipping_fee_currency,
//   shipping_fee_format, free_shipping, min/max_delivery_days, ship_from_country, tracking...).
// Sources: the method pages of https://openservice.aliexpress.com/doc/api.htm; the platform's generated
// request class (https://github.com/simowment/python-aliexpress-api/blob/8e4058b979963b29e19e54f6208fa61b9fddd595/aliexpress_api/sdk/api/rest/AliexpressDsFreightQueryRequest.py);
// the ds.product.get result types in https://github.com/bububa/opentaobao/tree/master/model/aedropshiper.
// Not verified against a live account here: the real answers' exact encoding (see feeOf).

export const DS_PRODUCT_GET = 'aliexpress.ds.product.get'
export const DS_FREIGHT_QUERY = 'aliexpress.ds.freight.query'
const PRODUCT_KEY = 'aliexpress_ds_product_get_response'
const FREIGHT_KEY = 'aliexpress_ds_freight_query_response'

export type DsCall = (method: string, params: Record<string, ParamValue>, signal?: AbortSignal) => Promise<{ body: string } | SourceFailure>

export async function queryFreight(call: DsCall, session: string, productId: string, market: Market, signal?: AbortSignal): Promise<SourceResult<ShippingQuote>> {
  const product = await call(DS_PRODUCT_GET, { product_id: productId, ship_to_country: market.country, target_currency: market.currency, target_language: 'EN', session }, signal)
  if ('reason' in product) return product
  const sku = parseSku(product.body)
  if (sku.status !== 'ok') return sku
  const request = {
    quantity: 1,
    shipToCountry: market.country,
    productId,
    selectedSkuId: sku.data,
    language: 'en_US',
    locale: 'en_US',
    currency: market.currency,
  }
  const freight = await call(DS_FREIGHT_QUERY, { queryDeliveryReq: JSON.stringify(request), session }, signal)
  if ('reason' in freight) return freight
  return parseFreight(freight.body, market)
}

/** The DS envelope's `result`, or why there is none. */
function dsResult(body: string, key: string): SourceResult<Json> {
  let parsed: unknown
  try {
    parsed = parseJsonKeepingIds(body)
  } catch {
    return { status: 'unavailable', reason: 'AliExpress answered with invalid or truncated JSON' }
  }
  if (!isObject(parsed)) return { status: 'unavailable', reason: 'AliExpress answered with an unexpected JSON value' }
  if (isObject(parsed['error_response'])) return classifyError(parsed['error_response'] as AliexpressErrorBody)
  const envelope = parsed[key]
  if (!isObject(envelope)) return { status: 'unavailable', reason: `AliExpress answer has no ${key}` }
  const result = envelope['result']
  return isObject(result) ? { status: 'ok', data: result } : { status: 'not_found', reason: 'AliExpress has no dropshipping record of this product' }
}

/** The first SKU in stock (else the first SKU): the freight of one variant stands for the product's. */
export function parseSku(body: string): SourceResult<string> {
  const result = dsResult(body, PRODUCT_KEY)
  if (result.status !== 'ok') return result
  const wrapper = result.data['ae_item_sku_info_dtos']
  const skus = (isObject(wrapper) ? asArray(wrapper['ae_item_sku_info_d_t_o']) : asArray(wrapper)).filter(isObject)
  // Public clients read the id as `sku_id`, the published types as `id`.
  const idOf = (sku: Json) => text(sku['sku_id']) ?? text(sku['id'])
  const inStock = skus.find((sku) => idOf(sku) && ((parseDecimal(sku['sku_available_stock']) ?? 0) > 0 || sku['sku_stock'] === true))
  const id = idOf(inStock ?? skus.find((sku) => idOf(sku)) ?? {})
  return id ? { status: 'ok', data: id } : { status: 'not_found', reason: 'AliExpress lists no SKU of this product' }
}

const NO_DELIVERY: Record<string, string> = {
  DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS: 'AliExpress does not deliver this product to',
  DELIVERY_INFO_EMPTY: 'AliExpress has no delivery information for this product to',
}

export function parseFreight(body: string, market: Market): SourceResult<ShippingQuote> {
  const result = dsResult(body, FREIGHT_KEY)
  if (result.status !== 'ok') return result
  const r = result.data
  const code = text(r['code'])
  if (String(r['success']) !== 'true') {
    const known = code ? NO_DELIVERY[code] : undefined
    if (known) return { status: 'not_found', reason: `${known} ${market.country}` }
    return { status: 'unavailable', reason: `AliExpress freight query failed (${code ?? 'no code'}${text(r['msg']) ? `: ${text(r['msg'])}` : ''})` }
  }
  const wrapper = r['delivery_options']
  const raw = (isObject(wrapper) ? asArray(wrapper['delivery_option_d_t_o']) : asArray(wrapper)).filter(isObject)
  const usable = raw.map((option) => optionOf(option, market.currency)).filter((o): o is ShippingQuote => o !== undefined)
  if (usable.length === 0) return { status: 'not_found', reason: `AliExpress offered no usable delivery option to ${market.country}` }
  const best = usable.reduce((a, b) => (b.cost < a.cost || (b.cost === a.cost && (b.maxDays ?? 999) < (a.maxDays ?? 999)) ? b : a))
  return { status: 'ok', data: { ...best, options: usable.length } }
}

function optionOf(option: Json, currency: string): ShippingQuote | undefined {
  const optionCurrency = (text(option['shipping_fee_currency']) ?? currency).toUpperCase()
  // A fee in another currency than the price cannot be added to it; no exchange rates here.
  if (optionCurrency !== currency.toUpperCase()) return undefined
  const stock = parseDecimal(option['available_stock'])
  if (stock !== undefined && stock <= 0) return undefined
  const free = String(option['free_shipping']) === 'true'
  const cost = free ? 0 : feeOf(option)
  if (cost === undefined) return undefined
  const quote: ShippingQuote = { cost, currency: optionCurrency, free: free || cost === 0, options: 1 }
  const min = days(option['min_delivery_days'])
  const max = days(option['max_delivery_days'])
  if (min !== undefined) quote.minDays = min
  if (max !== undefined) quote.maxDays = max
  const carrier = text(option['company']) ?? text(option['code'])
  if (carrier) quote.carrier = carrier
  const from = text(option['ship_from_country'])
  if (from) quote.shipFrom = from.toUpperCase()
  return quote
}

/**
 * The fee in major units. The documentation calls `shipping_fee_cent` "shipping fee amount in cent",
 * while a public client reads AliExpress's own sample as major units ("1.99" beside "US $1.99"). So the
 * number is checked against the formatted fee: whichever reading agrees with it wins, a disagreement
 * leaves the option out (a factor of 100 in a shipping cost would wreck every margin), and without a
 * formatted fee the documented meaning, cents, is used.
 */
function feeOf(option: Json): number | undefined {
  const raw = parseDecimal(option['shipping_fee_cent'])
  const shown = amountIn(text(option['shipping_fee_format']))
  const agrees = (n: number) => shown !== undefined && Math.abs(n - shown) < 0.006
  if (raw !== undefined && raw >= 0) {
    if (agrees(raw)) return round2(raw)
    if (agrees(raw / 100)) return round2(raw / 100)
    return shown === undefined ? round2(raw / 100) : undefined
  }
  return shown
}

/** "US $4.99", "€4,59", "4.99 CAD" -> 4.99 / 4.59 */
function amountIn(formatted: string | undefined): number | undefined {
  const match = formatted ? /\d[\d.,]*/.exec(formatted.replace(/\s/g, '')) : null
  if (!match) return undefined
  let digits = match[0].replace(/[.,]$/, '')
  // A lone comma followed by one or two digits is a decimal comma; other commas group thousands.
  digits = /^\d+,\d{1,2}$/.test(digits) ? digits.replace(',', '.') : digits.replace(/,/g, '')
  const n = Number(digits)
  return Number.isFinite(n) ? n : undefined
}

function days(value: unknown): number | undefined {
  const n = parseDecimal(value)
  return n !== undefined && n > 0 && n <= 365 ? Math.ceil(n) : undefined
}

const round2 = (n: number) => Math.round(n * 100) / 100
