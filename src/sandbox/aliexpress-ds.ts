import { randomBytes } from 'node:crypto'
import { gatewayError, missing, type Params } from './aliexpress-gateway.ts'
import type { SandboxReply } from './behaviour.ts'
import type { CatalogueProduct } from './catalogue.ts'
import { feeWrittenInCents, freightOptions } from './catalogue-freight.ts'
import { priceIn } from './catalogue-prices.ts'
import { hexOf } from './random.ts'

// The two dropshipping (DS) reads the freight client uses, in their wire format, over the simulated
// catalogue: aliexpress.ds.product.get (the product's SKUs) and aliexpress.ds.freight.query (delivery
// options to a country). Both need the dropshipper's `session` token, as the real methods do. Shapes
// follow the method pages of https://openservice.aliexpress.com/doc/api.htm and public clients (see
// src/sources/aliexpress/freight.ts); what was not observed here is marked so below.

export type ProductLookup = (productId: string) => CatalogueProduct | undefined

/** The refusal of a DS call without the right session token, or undefined when it may proceed. */
export function sessionRefusal(params: Params, token: string): SandboxReply | undefined {
  // The real gateway's answer to a missing or wrong token was not observed here; this code is the one
  // public clients list among the gateway's pre-dispatch refusals.
  if (params.get('session') !== token) return gatewayError('IllegalAccessToken', 'The specified access token is invalid or expired')
  return undefined
}

export function dsProductGet(params: Params, lookup: ProductLookup): SandboxReply {
  const method = params.get('method')!
  const id = params.get('product_id')
  if (!id) return missing('product_id')
  const product = /^\d+$/.test(id) ? lookup(id) : undefined
  // Not observed here: how the real method answers an id outside the dropshipping catalogue.
  if (!product) return dsEnvelope(method, { rsp_code: 405, rsp_msg: 'The result is empty' })
  const price = priceIn(product.salePriceUsd, params.get('target_currency') ?? 'USD')
  const skus = skuIdsOf(product.productId).map((skuId, i) => ({
    sku_id: skuId,
    sku_attr: `14:${200000 + i}#${['Black', 'White', 'Blue'][i]}`,
    sku_price: price.amount.toFixed(2),
    offer_sale_price: price.amount.toFixed(2),
    currency_code: price.currency,
    // The first variant is sold out: a client must pick one that ships.
    sku_available_stock: i === 0 ? 0 : 100 + i * 37,
    sku_stock: i !== 0,
  }))
  return dsEnvelope(method, {
    rsp_code: 200,
    rsp_msg: 'Call succeeds',
    result: {
      ae_item_base_info_dto: {
        product_id: product.productId,
        subject: product.title,
        currency_code: price.currency,
        category_id: product.category.secondId,
        product_status_type: 'onSelling',
      },
      ae_item_sku_info_dtos: { ae_item_sku_info_d_t_o: skus },
    },
  })
}

export function dsFreightQuery(params: Params, lookup: ProductLookup): SandboxReply {
  const method = params.get('method')!
  const raw = params.get('queryDeliveryReq')
  if (!raw) return missing('queryDeliveryReq')
  let req: Record<string, unknown>
  try {
    req = JSON.parse(raw) as Record<string, unknown>
  } catch {
    return gatewayError('InvalidParameter', 'The input parameter “queryDeliveryReq” is not valid JSON')
  }
  for (const name of ['productId', 'shipToCountry', 'selectedSkuId', 'quantity', 'currency']) {
    if (req[name] === undefined || req[name] === '') return missing(`queryDeliveryReq.${name}`)
  }
  const product = lookup(String(req['productId']))
  const country = String(req['shipToCountry']).toUpperCase()
  if (!product) return result(method, { success: false, code: 'DELIVERY_INFO_EMPTY', msg: 'DELIVERY_INFO_EMPTY' })
  // The sandbox's own check: a SKU id that lost digits on the way (parsed as a double) is refused.
  if (!skuIdsOf(product.productId).includes(String(req['selectedSkuId']))) {
    return gatewayError('InvalidParameter', 'The input parameter “selectedSkuId” is not a SKU of this product')
  }
  const options = freightOptions(product, country)
  if (options.length === 0) return result(method, { success: false, code: 'DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS', msg: 'DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS' })
  const currency = String(req['currency']).toUpperCase()
  const quantity = Math.max(1, Number(req['quantity']) || 1)
  const inCents = feeWrittenInCents(product.productId)
  const records = options.map((option) => {
    const fee = priceIn(option.costUsd * quantity, currency)
    const free = fee.amount === 0
    return {
      code: option.code,
      company: option.company,
      free_shipping: free,
      // The documentation says cents; a public client reads AliExpress's sample as major units. Both
      // forms are served (per product), always beside the formatted fee.
      shipping_fee_cent: inCents ? String(Math.round(fee.amount * 100)) : fee.amount.toFixed(2),
      shipping_fee_currency: fee.currency,
      shipping_fee_format: free ? 'Free shipping' : formatted(fee.amount, fee.currency),
      min_delivery_days: option.minDays,
      max_delivery_days: option.maxDays,
      guaranteed_delivery_days: String(option.maxDays + 5),
      ship_from_country: 'CN',
      tracking: option.tracking,
      mayHavePFS: free,
      available_stock: '137',
    }
  })
  return result(method, { success: true, code: 200, msg: null, delivery_options: { delivery_option_d_t_o: records } })
}

function result(method: string, body: Record<string, unknown>): SandboxReply {
  return dsEnvelope(method, { result: body })
}

/** Three 17-digit SKU ids per product, a pure function of its id. */
function skuIdsOf(productId: string): string[] {
  return [0, 1, 2].map((i) => `12000${String(BigInt(`0x${hexOf(`${productId}:sku:${i}`, 12)}`) % 10n ** 12n).padStart(12, '0')}`)
}

/**
 * DS answers carry their fields at the envelope's top level, not inside resp_result as affiliate ones
 * do. SKU ids go out as bare 17-digit numbers, which a client parsing them as doubles would round.
 */
function dsEnvelope(method: string, body: Record<string, unknown>): SandboxReply {
  const key = `${method.replaceAll('.', '_')}_response`
  const json = JSON.stringify({ [key]: { ...body, request_id: randomBytes(12).toString('hex').slice(0, 25) } })
  return { status: 200, body: json.replace(/"sku_id":"(\d+)"/g, '"sku_id":$1') }
}

const SYMBOLS: Record<string, string> = { USD: 'US $', EUR: '€', GBP: '£' }

function formatted(amount: number, currency: string): string {
  const symbol = SYMBOLS[currency]
  return symbol ? `${symbol}${amount.toFixed(2)}` : `${amount.toFixed(2)} ${currency}`
}
