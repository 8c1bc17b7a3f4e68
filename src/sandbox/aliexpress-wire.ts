import type { CatalogueProduct } from './catalogue.ts'
import { shipToDaysText } from './catalogue-freight.ts'
import { priceIn } from './catalogue-prices.ts'
import { hexOf } from './random.ts'

// A catalogue product as the affiliate APIs (aliexpress.affiliate.productdetail.get and
// product.query, https://openservice.aliexpress.com) return it: prices as strings in USD plus
// target_* prices in the asked currency, rates as "7.5%", and the quirks a client meets live (ids and
// prices sometimes numbers, protocol-relative URLs), chosen per product by its `wire` flags.

export function wireRecord(product: CatalogueProduct, ctx: { currency?: string; trackingId?: string; country?: string }): Record<string, unknown> {
  const currency = ctx.currency ?? 'USD'
  const record = baseRecord(product, currency)
  const days = shipToDaysText(product, ctx.country?.toUpperCase())
  if (days) record['ship_to_days'] = days
  if (product.originalPriceUsd !== undefined) Object.assign(record, originalPriceFields(product.originalPriceUsd, product.salePriceUsd, currency))
  if (product.hotProductCommissionRate !== undefined) record['hot_product_commission_rate'] = `${product.hotProductCommissionRate.toFixed(1)}%`
  if (ctx.trackingId) {
    record['promotion_link'] = `https://s.click.aliexpress.com/e/_${hexOf(`${product.productId}:${ctx.trackingId}`, 12)}`
  }
  return record
}

function baseRecord(product: CatalogueProduct, currency: string): Record<string, unknown> {
  const { wire } = product
  const target = priceIn(product.salePriceUsd, currency)
  return {
    app_sale_price: wire.appPriceAsNumber ? product.salePriceUsd : product.salePriceUsd.toFixed(2),
    app_sale_price_currency: 'USD',
    commission_rate: `${product.commissionRate.toFixed(1)}%`,
    evaluate_rate: `${product.positiveFeedbackRate}%`,
    first_level_category_id: product.category.firstId,
    first_level_category_name: product.category.firstName,
    lastest_volume: product.ordersLast30Days,
    platform_product_type: 'ALL',
    product_detail_url: `${wire.protocolRelative ? '' : 'https:'}//www.aliexpress.com/item/${product.productId}.html`,
    product_id: wire.productIdAsNumber ? Number(product.productId) : product.productId,
    product_main_image_url: product.imageUrl,
    product_small_image_urls: { string: [product.imageUrl, `https://ae04.alicdn.com/kf/S${hexOf(`${product.productId}:2`, 32)}.jpg`] },
    product_title: product.title,
    sale_price: product.salePriceUsd.toFixed(2),
    sale_price_currency: 'USD',
    second_level_category_id: product.category.secondId,
    second_level_category_name: product.category.secondName,
    shop_id: wire.shopIdAsNumber ? Number(product.shop.id) : product.shop.id,
    shop_name: product.shop.name,
    shop_url: `//www.aliexpress.com/store/${product.shop.id}`,
    target_app_sale_price: target.amount.toFixed(2),
    target_app_sale_price_currency: target.currency,
    target_sale_price: target.amount.toFixed(2),
    target_sale_price_currency: target.currency,
  }
}

function originalPriceFields(originalUsd: number, saleUsd: number, currency: string): Record<string, string> {
  const original = priceIn(originalUsd, currency)
  return {
    original_price: originalUsd.toFixed(2),
    original_price_currency: 'USD',
    target_original_price: original.amount.toFixed(2),
    target_original_price_currency: original.currency,
    discount: `${Math.round((1 - saleUsd / originalUsd) * 100)}%`,
  }
}
