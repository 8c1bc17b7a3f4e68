import type { AliexpressProduct, ProductSearchPage, SourceFailure, SourceResult } from '../../validation/sources.ts'
import { absoluteUrl, asArray, isObject, type Json, parseCount, parseDays, parseDecimal, parseJsonKeepingIds, parsePercent, text } from './values.ts'

// Turns AliExpress affiliate answers into our types, every value coerced at this boundary (values.ts):
// numbers arrive as strings and strings as numbers, percentages carry '%', ids may exceed 2^53,
// wrapper arrays may be single objects and `resp_result` may itself be a JSON string (one public
// client parses it defensively). Method reference: https://openservice.aliexpress.com (affiliate API).

export const PRODUCT_DETAIL_KEY = 'aliexpress_affiliate_productdetail_get_response'
export const PRODUCT_QUERY_KEY = 'aliexpress_affiliate_product_query_response'

export { parseDays, parseDecimal, parseJsonKeepingIds } from './values.ts'

/** One AliExpress answer after the envelope and error checks. */
export type EnvelopeOutcome = { kind: 'result'; result: Json } | { kind: 'empty' } | { kind: 'failure'; failure: SourceFailure }

export interface AliexpressErrorBody {
  code?: string | number
  msg?: string
  sub_code?: string
  sub_msg?: string
  type?: string
}

function choosePrice(raw: Json): AliexpressProduct['price'] {
  // target_* are in the requested currency; the plain ones in the seller's (usually USD).
  const targetSale = parseDecimal(raw['target_sale_price'])
  const plainSale = parseDecimal(raw['sale_price'])
  const useTarget = targetSale !== undefined || (plainSale === undefined && parseDecimal(raw['target_original_price']) !== undefined)
  const prefix = useTarget ? 'target_' : ''
  const price: AliexpressProduct['price'] = {}
  const sale = parseDecimal(raw[`${prefix}sale_price`])
  const currency = text(raw[`${prefix}sale_price_currency`]) ?? text(raw[`${prefix}original_price_currency`])
  let original = parseDecimal(raw[`${prefix}original_price`])
  if (original === undefined && useTarget && text(raw['original_price_currency']) === currency) {
    original = parseDecimal(raw['original_price'])
  }
  if (sale !== undefined) price.sale = sale
  if (original !== undefined) price.original = original
  if (currency) price.currency = currency.toUpperCase()
  return price
}

/** One AffiliateProduct record, or undefined when it has no usable id. */
export function parseProduct(raw: unknown): AliexpressProduct | undefined {
  if (!isObject(raw)) return undefined
  const productId = text(raw['product_id'])
  if (!productId || !/^\d+$/.test(productId)) return undefined
  const product: AliexpressProduct = {
    productId,
    title: text(raw['product_title']) ?? '',
    url: absoluteUrl(raw['product_detail_url']) ?? `https://www.aliexpress.com/item/${productId}.html`,
    price: choosePrice(raw),
    shop: {},
  }
  const imageUrl = absoluteUrl(raw['product_main_image_url'])
  if (imageUrl) product.imageUrl = imageUrl
  // The second level is the more specific of the two the affiliate API names.
  const second = text(raw['second_level_category_name'])
  const category = second ?? text(raw['first_level_category_name'])
  const categoryId = second ? text(raw['second_level_category_id']) : text(raw['first_level_category_id'])
  if (category) product.category = category
  if (categoryId) product.categoryId = categoryId
  const firstLevel = text(raw['first_level_category_id'])
  if (firstLevel) product.firstLevelCategoryId = firstLevel
  const orders = parseCount(raw['lastest_volume'])
  if (orders !== undefined) product.ordersLast30Days = orders
  const feedback = parsePercent(raw['evaluate_rate'])
  if (feedback !== undefined) product.positiveFeedbackRate = feedback
  const commission = parsePercent(raw['commission_rate'])
  if (commission !== undefined) product.commissionRate = commission
  const shopId = text(raw['shop_id'])
  const shopUrl = absoluteUrl(raw['shop_url'])
  const shopName = text(raw['shop_name'])
  if (shopId) product.shop.id = shopId
  if (shopUrl) product.shop.url = shopUrl
  if (shopName) product.shop.name = shopName
  const promotionUrl = absoluteUrl(raw['promotion_link'])
  if (promotionUrl) product.promotionUrl = promotionUrl
  const days = parseDays(raw['ship_to_days'])
  if (days !== undefined) product.shipToDays = days
  return product
}


function clip(value: string, max = 160): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value
}

const AUTH_CODES = new Set([
  'IncompleteSignature',
  'InvalidSignature',
  'InvalidApiKey',
  'InvalidAppKey',
  'AppKeyNotExist',
  'MissingParameter',
  'MissingAppKey',
  'InsufficientISVPermissions',
  'InvalidSession',
  'SessionExpired',
  // the dropshipping methods' session token
  'IllegalAccessToken',
  'InvalidAccessToken',
  'AccessTokenExpired',
  // legacy TOP numeric codes: 11 insufficient isv permissions, 25 invalid signature, 29 invalid app key
  '11',
  '25',
  '29',
])
const THROTTLE_TEXT = /call ?limit|frequency|qps|flow ?control|too many|throttl/i
const AUTH_SUB_CODE = /^isv\..*(permission|auth|app-?key|account|signature|session|token|migration|forbidden|denied)/i

/** Classifies an `error_response`; the reason names the upstream code and never a credential. */
export function classifyError(error: AliexpressErrorBody): SourceFailure {
  const code = text(error.code) ?? 'unknown'
  const detail = [text(error.sub_code), text(error.msg), text(error.sub_msg)].filter(Boolean).join('; ')
  const reason = clip(`AliExpress error ${code}${detail ? ` (${detail})` : ''}`)
  const throttleText = `${text(error.msg) ?? ''} ${text(error.sub_msg) ?? ''} ${text(error.sub_code) ?? ''}`
  if (code === 'ApiCallLimit' || code === '7' || THROTTLE_TEXT.test(throttleText)) {
    return { status: 'rate_limited', reason, retryAfterMs: banMs(throttleText) }
  }
  if (AUTH_CODES.has(code) || AUTH_SUB_CODE.test(text(error.sub_code) ?? '')) {
    return { status: 'not_configured', reason: `AliExpress rejected the app credentials: ${reason}` }
  }
  return { status: 'unavailable', reason }
}

/** "this ban will last 1 seconds" -> 1000; ~1 s otherwise, which is what clients report works. */
function banMs(message: string): number {
  const match = /(\d+(?:\.\d+)?)\s*(?:s\b|sec|second)/i.exec(message)
  return match ? Math.round(Number(match[1]) * 1000) : 1000
}

/**
 * For createUpstream's retryAfterBody: a 2xx ApiCallLimit answer asks to retry after the ban.
 * Cheap on the normal path: only bodies that mention error_response are parsed.
 */
export function throttleRetryDelay(status: number, body: string): number | undefined {
  if (status >= 300 || !body.includes('error_response')) return undefined
  try {
    const parsed = parseJsonKeepingIds(body)
    if (!isObject(parsed) || !isObject(parsed['error_response'])) return undefined
    const failure = classifyError(parsed['error_response'] as AliexpressErrorBody)
    return failure.status === 'rate_limited' ? failure.retryAfterMs : undefined
  } catch {
    return undefined
  }
}

/** Reads the envelope under `responseKey`: the result, an empty answer (405), or a failure. */
export function parseEnvelope(body: string, responseKey: string): EnvelopeOutcome {
  let parsed: unknown
  try {
    parsed = parseJsonKeepingIds(body)
  } catch {
    const looksLikeHtml = /^\s*</.test(body)
    return { kind: 'failure', failure: { status: 'unavailable', reason: looksLikeHtml ? 'AliExpress answered with an HTML page' : 'AliExpress answered with invalid or truncated JSON', outage: true } }
  }
  if (!isObject(parsed)) return fail('unavailable', 'AliExpress answered with an unexpected JSON value')
  if (isObject(parsed['error_response'])) {
    return { kind: 'failure', failure: classifyError(parsed['error_response'] as AliexpressErrorBody) }
  }
  const envelope = parsed[responseKey]
  if (!isObject(envelope)) return fail('unavailable', `AliExpress answer has no ${responseKey}`)
  let respResult = envelope['resp_result']
  if (typeof respResult === 'string') {
    try {
      respResult = parseJsonKeepingIds(respResult)
    } catch {
      return fail('unavailable', 'AliExpress resp_result is not valid JSON')
    }
  }
  if (!isObject(respResult)) return fail('unavailable', 'AliExpress answer has no resp_result')
  const respCode = text(respResult['resp_code'])
  if (respCode === '405') return { kind: 'empty' }
  if (respCode !== '200') {
    return fail('unavailable', clip(`AliExpress resp_code ${respCode ?? 'missing'} (${text(respResult['resp_msg']) ?? 'no message'})`))
  }
  const result = respResult['result']
  return isObject(result) ? { kind: 'result', result } : { kind: 'empty' }
}

function fail(status: SourceFailure['status'], reason: string): EnvelopeOutcome {
  return { kind: 'failure', failure: { status, reason } }
}

function productsOf(result: Json): AliexpressProduct[] {
  const products = result['products']
  // `products.product[]` carries an XML-heritage wrapper; tolerate a bare array or a single object too.
  const list = isObject(products) ? asArray(products['product']) : asArray(products)
  const out: AliexpressProduct[] = []
  for (const raw of list) {
    const product = parseProduct(raw)
    if (product) out.push(product)
  }
  return out
}

/** productdetail.get body -> products by id; ids AliExpress did not return are absent. */
export function parseProductDetailBody(body: string): SourceResult<Map<string, AliexpressProduct>> {
  const outcome = parseEnvelope(body, PRODUCT_DETAIL_KEY)
  if (outcome.kind === 'failure') return outcome.failure
  const byId = new Map<string, AliexpressProduct>()
  if (outcome.kind === 'result') for (const product of productsOf(outcome.result)) byId.set(product.productId, product)
  return { status: 'ok', data: byId }
}

/** product.query body -> one page; an empty search (405) is an empty page, not an error. */
export function parseProductQueryBody(body: string, page: number, pageSize: number): SourceResult<ProductSearchPage> {
  const outcome = parseEnvelope(body, PRODUCT_QUERY_KEY)
  if (outcome.kind === 'failure') return outcome.failure
  if (outcome.kind === 'empty') return { status: 'ok', data: { products: [], page, pageSize, totalResults: 0 } }
  const result = outcome.result
  const data: ProductSearchPage = {
    products: productsOf(result),
    page: parseCount(result['current_page_no']) ?? page,
    pageSize,
  }
  const total = parseCount(result['total_record_count'])
  if (total !== undefined) data.totalResults = total
  return { status: 'ok', data }
}
