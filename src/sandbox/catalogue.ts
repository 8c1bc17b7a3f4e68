import { shopFor, titleFor } from './catalogue-names.ts'
import { priceFor, roundPrice } from './catalogue-prices.ts'
import { type ListedKind, PRODUCT_TYPES, type ProductKind, type ProductType } from './catalogue-product-types.ts'
import { extraTitleWords, normalizedKeywords, productTypeForKeywords } from './catalogue-search.ts'
import { hexOf, type Random, seeded } from './random.ts'

export { priceIn } from './catalogue-prices.ts'
export type { ProductKind, ProductType } from './catalogue-product-types.ts'

// Deterministic simulated AliExpress catalogue. Every value derives from the product id (or, for
// search listings, from the search words), so any process builds the same product for the same id.
//
// The LAST DIGIT of an id chooses the kind of product, so tests and load scripts can pick one:
//   0    unknown: productdetail.get does not return it (like a product outside the affiliate programme)
//   1-3  strong:  1,000-20,000 orders, 95-99.5 % positive feedback, a cheap-to-mid price for its type
//   4-6  average: 100-1,500 orders, 90-96 % positive feedback, any price for its type
//   7-9  weak:    0-60 orders, 82-93 % positive feedback, and half of them an awkward price
//                 (under 1 USD or several times what the type usually sells for)
// The product type (what is sold) is picked from PRODUCT_TYPES by the id's seeded RNG.
//
//   catalogue-product-types.ts  what is sold: names, categories, usual prices
//   catalogue-names.ts          listing titles and shop names
//   catalogue-prices.ts         sale prices and currency conversion
//   catalogue-search.ts         which type a keyword search means
//   aliexpress-wire.ts          a product as the affiliate API serializes it

export interface CatalogueProduct {
  productId: string
  kind: ListedKind
  productType: string
  title: string
  salePriceUsd: number
  /** absent for some products, as on the live API */
  originalPriceUsd?: number
  ordersLast30Days: number
  /** percent with one decimal */
  positiveFeedbackRate: number
  commissionRate: number
  hotProductCommissionRate?: number
  category: ProductType['category']
  shop: { id: string; name: string }
  imageUrl: string
  /** how this record encodes its numbers on the wire: both forms occur live */
  wire: { productIdAsNumber: boolean; shopIdAsNumber: boolean; appPriceAsNumber: boolean; protocolRelative: boolean }
}

export function kindOf(productId: string): ProductKind {
  const last = productId.at(-1)
  if (last === undefined || !/^\d$/.test(last) || last === '0') return 'unknown'
  if (last <= '3') return 'strong'
  if (last <= '6') return 'average'
  return 'weak'
}

/** What the catalogue sells under this id (unknown ids included). */
export function productTypeOf(productId: string): ProductType {
  return seeded(`type:${productId}`).pick(PRODUCT_TYPES)
}

const KIND_DIGITS: Record<ProductKind, readonly number[]> = { unknown: [0], strong: [1, 2, 3], average: [4, 5, 6], weak: [7, 8, 9] }
const ID_SPACE = 10n ** 11n

/** The n-th (0-based) deterministic 16-digit `1005…` id of a kind; distinct n give distinct ids. */
export function sandboxIdOfKind(kind: ProductKind, n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('n must be a non-negative integer')
  const digits = KIND_DIGITS[kind]
  const last = digits[n % digits.length]!
  // Multiplying by a constant coprime with 10^11 is a bijection on the 11 middle digits: no collisions.
  const middle = ((BigInt(Math.floor(n / digits.length)) + 1n) * 2_654_435_761n) % ID_SPACE
  return `1005${middle.toString().padStart(11, '0')}${last}`
}

/** A usable product for a known id; undefined for the unknown kind. */
export function catalogueProduct(productId: string): CatalogueProduct | undefined {
  const kind = kindOf(productId)
  if (kind === 'unknown') return undefined
  return buildProduct(productId, kind, productTypeOf(productId), [])
}

/**
 * Every listing a keyword search finds, in relevance order: 1-60 listings of the matched type from
 * different shops, with varied price, orders and feedback (kind still follows the id's last digit,
 * never 0). Titles contain every keyword.
 */
export function searchCatalogue(keywords: string): CatalogueProduct[] {
  const productType = productTypeForKeywords(keywords)
  if (!productType) return []
  const extraWords = extraTitleWords(keywords, productType)
  const rng = seeded(`search:${normalizedKeywords(keywords)}`)
  const total = rng.int(1, 60)
  const products: CatalogueProduct[] = []
  for (let i = 0; i < total; i++) {
    const middle = String(rng.int(0, 99_999)).padStart(5, '0') + String(rng.int(0, 999_999)).padStart(6, '0')
    const id = `1005${middle}${rng.int(1, 9)}`
    products.push(buildProduct(id, kindOf(id) as ListedKind, productType, extraWords))
  }
  return products
}

// Every field is drawn from the product's own RNG in a fixed order: reordering the draws changes
// every product the sandbox has ever served.
function buildProduct(productId: string, kind: ListedKind, productType: ProductType, extraWords: readonly string[]): CatalogueProduct {
  const rng = seeded(`product:${productId}`)
  const title = titleFor(rng, productType, extraWords)
  const salePriceUsd = priceFor(rng, kind, productType.priceUsd)
  const product: CatalogueProduct = {
    productId,
    kind,
    productType: productType.name,
    title,
    salePriceUsd,
    ...salesFor(rng, kind),
    commissionRate: rng.int(30, 90) / 10,
    category: productType.category,
    shop: shopFor(rng),
    imageUrl: `https://ae04.alicdn.com/kf/S${hexOf(productId, 32)}.jpg`,
    wire: wireQuirks(rng),
  }
  // About one in seven listings has no crossed-out price at all.
  if (rng.next() < 0.85) product.originalPriceUsd = roundPrice(salePriceUsd / (1 - rng.int(10, 70) / 100))
  if (rng.next() < 0.3) product.hotProductCommissionRate = rng.int(80, 200) / 10
  return product
}

function salesFor(rng: Random, kind: ListedKind): Pick<CatalogueProduct, 'ordersLast30Days' | 'positiveFeedbackRate'> {
  const ordersLast30Days =
    kind === 'strong' ? Math.round(rng.logUniform(1_000, 20_000)) : kind === 'average' ? Math.round(rng.logUniform(100, 1_500)) : rng.int(0, 60)
  const feedbackRange = kind === 'strong' ? [950, 995] : kind === 'average' ? [900, 960] : [820, 930]
  return { ordersLast30Days, positiveFeedbackRate: rng.int(feedbackRange[0]!, feedbackRange[1]!) / 10 }
}

function wireQuirks(rng: Random): CatalogueProduct['wire'] {
  return {
    productIdAsNumber: rng.next() < 0.5,
    shopIdAsNumber: rng.next() < 0.7,
    appPriceAsNumber: rng.next() < 0.3,
    protocolRelative: rng.next() < 0.85,
  }
}
