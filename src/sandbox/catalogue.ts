import { createHash } from 'node:crypto'
import { type Random, seeded } from './random.ts'

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

export type ProductKind = 'strong' | 'average' | 'weak' | 'unknown'

export interface ProductType {
  name: string
  features: readonly string[]
  variants: readonly string[]
  category: { firstId: number; firstName: string; secondId: number; secondName: string }
  /** what the type usually sells for, USD */
  priceUsd: readonly [number, number]
}

const LIGHTS = { firstId: 39, firstName: 'Lights & Lighting' }
const HEALTH = { firstId: 66, firstName: 'Beauty & Health' }
const APPLIANCES = { firstId: 6, firstName: 'Home Appliances' }
const HOME = { firstId: 15, firstName: 'Home & Garden' }
const CAR = { firstId: 34, firstName: 'Automobiles, Parts & Accessories' }
const ELECTRONICS = { firstId: 44, firstName: 'Consumer Electronics' }
const SPORTS = { firstId: 18, firstName: 'Sports & Entertainment' }
const PHONES = { firstId: 509, firstName: 'Cellphones & Telecommunications' }
const BAGS = { firstId: 1524, firstName: 'Luggage & Bags' }
const BABY = { firstId: 1501, firstName: 'Mother & Kids' }
const JEWELRY = { firstId: 1509, firstName: 'Jewelry & Accessories' }

function type(
  name: string,
  first: { firstId: number; firstName: string },
  secondId: number,
  secondName: string,
  priceUsd: [number, number],
  features: string[],
  variants: string[],
): ProductType {
  return { name, features, variants, category: { ...first, secondId, secondName }, priceUsd }
}

export const PRODUCT_TYPES: readonly ProductType[] = [
  type('LED Strip Lights', LIGHTS, 530, 'LED Strips', [2.5, 18], ['RGB', 'Bluetooth', 'Music Sync', 'Color Changing', 'USB 5V', 'App Control', 'for Bedroom'], ['5M', '10M', '16.4ft', '20M', '32.8ft']),
  type('Posture Corrector', HEALTH, 200001355, 'Health Care', [3, 12], ['Adjustable', 'Back Brace', 'Shoulder Support', 'Invisible', 'for Men Women'], ['S', 'M', 'L', 'XL', 'XXL']),
  type('Portable Blender', APPLIANCES, 100000306, 'Kitchen Appliances', [8, 25], ['USB Rechargeable', 'Juicer Cup', '6 Blades', 'Mini', 'Fresh Juice'], ['380ml', '400ml', '500ml']),
  type('Pet Hair Remover Roller', HOME, 100006664, 'Pet Products', [2, 9], ['Reusable', 'Lint Brush', 'Self-Cleaning', 'for Sofa Clothes'], ['1PC', '2PCS']),
  type('Magnetic Phone Holder', CAR, 200002851, 'Car Holder', [1.5, 8], ['for Car', '360 Rotation', 'Air Vent', 'Strong Magnet', 'for iPhone Samsung'], ['1PC', '2PCS']),
  type('Sunset Lamp Projector', LIGHTS, 39050508, 'Night Lights', [4, 15], ['Rainbow', 'USB', 'Atmosphere', 'Photography', '180 Degree Rotation'], ['16 Colors', 'Remote Control']),
  type('Wireless Earbuds', ELECTRONICS, 63705, 'Earphones & Headphones', [6, 30], ['TWS', 'Bluetooth 5.3', 'Noise Cancelling', 'HiFi Stereo', 'Waterproof'], ['Type-C', 'LED Display']),
  type('Smart Watch', ELECTRONICS, 200084019, 'Smart Watches', [12, 45], ['Fitness Tracker', 'Heart Rate', 'Bluetooth Call', 'IP68 Waterproof'], ['1.96 Inch', '1.85 Inch', '2.01 Inch']),
  type('Neck Massager', HEALTH, 200001400, 'Massage & Relaxation', [7, 25], ['Electric', 'EMS Pulse', 'Heating', 'Cervical', 'Pain Relief'], ['6 Modes', '15 Levels']),
  type('Car Vacuum Cleaner', CAR, 200003438, 'Car Cleaning', [10, 35], ['Wireless', 'Handheld', 'Strong Suction', 'Portable'], ['120W', '9000Pa', '12000Pa']),
  type('Mini Projector', ELECTRONICS, 200004011, 'Projectors', [35, 90], ['HD 1080P', 'WiFi', 'Android', 'Home Theater', '4K Support'], ['200 ANSI', '5G WiFi']),
  type('Makeup Brush Set', HEALTH, 660103, 'Makeup Tools', [3, 15], ['Soft Synthetic', 'Foundation', 'Eyeshadow', 'Blending'], ['10pcs', '14pcs', '20pcs']),
  type('Resistance Bands Set', SPORTS, 100005322, 'Fitness & Body Building', [5, 20], ['Fitness', 'Yoga', 'Pull Up', 'Elastic', 'Home Gym'], ['11pcs', '5 Levels']),
  type('Hair Straightener Brush', HEALTH, 100000616, 'Hair Care & Styling', [9, 28], ['Ceramic', 'Heated Comb', 'Anti-Scald', 'Fast Heating'], ['EU Plug', 'US Plug', 'UK Plug']),
  type('Silicone Kitchen Utensils Set', HOME, 100004807, 'Kitchen, Dining & Bar', [8, 30], ['Non-stick', 'Heat Resistant', 'Wooden Handle', 'Cooking Tools'], ['12pcs', '15pcs']),
  type('Motivational Water Bottle', HOME, 100004812, 'Drinkware', [4, 14], ['Time Marker', 'BPA Free', 'Leakproof', 'Sports'], ['1L', '2L', '64oz']),
  type('Baby Nail Trimmer', BABY, 100001118, 'Baby Care', [3, 10], ['Electric', 'Safe', 'Newborn', 'Quiet'], ['6 Grinding Heads']),
  type('Anti Theft Backpack', BAGS, 152405, 'Backpacks', [12, 40], ['USB Charging', 'Waterproof', 'Travel', 'Business'], ['15.6 Inch Laptop', '17 Inch']),
  type('Massage Gun', HEALTH, 200001400, 'Massage & Relaxation', [15, 60], ['Deep Tissue', 'Percussion', 'LCD Touch', 'Muscle Relax'], ['30 Speed', '6 Heads']),
  type('Ring Light', ELECTRONICS, 200004390, 'Photo Studio', [6, 25], ['Selfie', 'Tripod Stand', 'Dimmable', 'for TikTok YouTube'], ['10 Inch', '12 Inch', '18 Inch']),
  type('Dog Harness', HOME, 100006664, 'Pet Products', [3, 14], ['No Pull', 'Reflective', 'Adjustable', 'Breathable Mesh'], ['XS', 'S', 'M', 'L']),
  type('Cat Water Fountain', HOME, 100006664, 'Pet Products', [10, 30], ['Automatic', 'Filter', 'Ultra Quiet', 'LED'], ['2.5L', '3L']),
  type('Electric Lunch Box', APPLIANCES, 100000306, 'Kitchen Appliances', [12, 35], ['Heated', 'Food Warmer', 'Portable', 'Stainless Steel'], ['12V 24V 220V', '1.5L']),
  type('Galaxy Star Projector', LIGHTS, 39050508, 'Night Lights', [10, 35], ['Night Light', 'Nebula', 'Remote Control', 'Bluetooth Speaker'], ['Astronaut', 'Dinosaur']),
  type('Knee Brace', SPORTS, 200001095, 'Sports Safety', [3, 12], ['Compression', 'Patella Support', 'Meniscus', 'Running'], ['S', 'M', 'L', 'XL']),
  type('Phone Tripod', PHONES, 200084017, 'Mobile Phone Accessories', [4, 16], ['Bluetooth Remote', 'Selfie Stick', 'Extendable', 'Stable'], ['1.3M', '1.6M']),
  type('Vegetable Chopper', HOME, 100004807, 'Kitchen, Dining & Bar', [6, 22], ['Multifunctional', 'Slicer', 'Dicer', 'Kitchen Gadget'], ['14 in 1', '16 in 1']),
  type('Shower Head', HOME, 100004850, 'Bathroom Fixtures', [4, 18], ['High Pressure', 'Water Saving', 'Filter', 'Rainfall'], ['3 Modes', '6 Modes']),
  type('Wireless Charger', PHONES, 200084017, 'Mobile Phone Accessories', [6, 25], ['Fast Charging', '3 in 1', 'for iPhone AirPods Watch', 'Stand'], ['15W', '30W']),
  type('Car Seat Gap Filler', CAR, 200003411, 'Interior Accessories', [3, 12], ['PU Leather', 'Organizer', 'Storage Box', 'Universal'], ['1PC', '2PCS']),
  type('Nail Drill Machine', HEALTH, 660302, 'Nail Art Tools', [8, 35], ['Electric', 'Manicure', 'Pedicure', 'Professional'], ['35000RPM', '45000RPM']),
  type('Facial Cleansing Brush', HEALTH, 660110, 'Skin Care Tools', [4, 18], ['Silicone', 'Sonic', 'Waterproof', 'Electric'], ['USB', 'Rechargeable']),
  type('Blackhead Remover Vacuum', HEALTH, 660110, 'Skin Care Tools', [5, 18], ['Pore Cleaner', 'USB', 'Face', 'Acne'], ['5 Suction Heads', '6 Heads']),
  type('Foot Massager', HEALTH, 200001400, 'Massage & Relaxation', [20, 70], ['Electric', 'Shiatsu', 'Heating', 'Blood Circulation'], ['EU Plug', 'US Plug']),
  type('Bluetooth Speaker', ELECTRONICS, 200084020, 'Portable Speakers', [8, 35], ['Portable', 'Waterproof', 'Bass', 'RGB', 'TWS'], ['20W', '40W']),
  type('Jewelry Box', JEWELRY, 1509010, 'Jewelry Packaging & Display', [3, 15], ['Travel', 'Portable', 'Leather', 'Earrings Rings Necklace'], ['Small', 'Large']),
  type('Magnetic Eyelashes', HEALTH, 660103, 'Makeup Tools', [2, 9], ['3D Mink', 'Natural', 'Eyeliner Kit', 'Waterproof', 'Reusable'], ['5 Pairs', '10 Pairs']),
  type('Dash Cam', CAR, 200003384, 'Car Electronics', [15, 50], ['Car DVR', 'Full HD 1080P', 'Night Vision', 'Wide Angle', 'G-Sensor'], ['3 Inch', '4 Inch']),
  type('Acupressure Mat', HEALTH, 200001400, 'Massage & Relaxation', [10, 30], ['Yoga', 'Pillow Set', 'Back Pain Relief', 'Spike'], ['Mat + Pillow']),
  type('Electric Milk Frother', APPLIANCES, 100000306, 'Kitchen Appliances', [2, 10], ['Handheld', 'Coffee Foam', 'USB Rechargeable', 'Stainless Steel'], ['3 Speeds']),
]

const COLOURS = ['Black', 'White', 'Pink', 'Blue', 'Green', 'Gray', 'Red', 'Multicolor']
const NOISE_BEFORE = ['2024 New', '2025 New', 'Hot Sale', 'New Arrival', 'Upgraded', 'Original', 'Best Selling']
const NOISE_AFTER = ['Free Shipping', 'Dropshipping', 'Gift', 'Wholesale', 'Drop Shipping']
const SHOP_WORDS = ['Shenzhen', 'Bright', 'Happy', 'Smart', 'Yiwu', 'Global', 'Dream', 'Lucky', 'Sunny', 'Star', 'Home', 'Life']
const SHOP_SUFFIX = ['Store', 'Official Store', 'Factory Store', 'Flagship Store', 'Dropshipping Store']

/** How many of one currency a US dollar buys, for target_* prices; other currencies get USD. */
export const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  CAD: 1.36,
  AUD: 1.52,
  BRL: 5.05,
  MXN: 17.1,
  JPY: 151.5,
  INR: 83.2,
  SEK: 10.6,
  PLN: 3.98,
  TRY: 32.4,
  KRW: 1352,
}

export interface CatalogueProduct {
  productId: string
  kind: Exclude<ProductKind, 'unknown'>
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

function roundPrice(value: number): number {
  // Shop prices end in .x9 or similar; keep two decimals exactly.
  return Math.round(value * 100) / 100
}

export function priceIn(usd: number, currency: string): { amount: number; currency: string } {
  const rate = USD_RATES[currency.toUpperCase()]
  return rate === undefined ? { amount: usd, currency: 'USD' } : { amount: roundPrice(usd * rate), currency: currency.toUpperCase() }
}

function hexOf(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length)
}

function pickSome(rng: Random, items: readonly string[], min: number, max: number): string[] {
  const pool = [...items]
  const out: string[] = []
  const count = Math.min(pool.length, rng.int(min, max))
  for (let i = 0; i < count; i++) out.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]!)
  return out
}

function titleFor(rng: Random, productType: ProductType, extraWords: readonly string[]): string {
  const parts: string[] = []
  parts.push(...pickSome(rng, NOISE_BEFORE, 0, 2))
  if (rng.next() < 0.3) parts.push(`${String.fromCharCode(65 + rng.int(0, 25))}${rng.int(1, 99)}${rng.next() < 0.3 ? ' Pro' : ''}`)
  parts.push(...extraWords)
  parts.push(productType.name)
  const already = new Set(extraWords.map((word) => word.toLowerCase()))
  parts.push(...pickSome(rng, productType.features, 1, 3).filter((feature) => !already.has(feature.toLowerCase())))
  parts.push(...pickSome(rng, productType.variants, 1, 3))
  if (rng.next() < 0.5) parts.push(...pickSome(rng, COLOURS, 1, 2))
  parts.push(...pickSome(rng, NOISE_AFTER, 0, 1))
  return parts.join(' ')
}

function priceFor(rng: Random, kind: CatalogueProduct['kind'], [min, max]: readonly [number, number]): number {
  if (kind === 'strong') return roundPrice(min + rng.next() * (max - min) * 0.6) // cheap-to-mid for its type
  if (kind === 'weak' && rng.next() < 0.5) {
    return rng.next() < 0.5 ? roundPrice(0.3 + rng.next() * 0.6) : roundPrice(max * (2.5 + rng.next() * 1.5))
  }
  return roundPrice(min + rng.next() * (max - min))
}

function buildProduct(productId: string, kind: CatalogueProduct['kind'], productType: ProductType, extraWords: readonly string[]): CatalogueProduct {
  const rng = seeded(`product:${productId}`)
  const title = titleFor(rng, productType, extraWords)
  const salePriceUsd = priceFor(rng, kind, productType.priceUsd)
  const ordersLast30Days =
    kind === 'strong' ? Math.round(rng.logUniform(1_000, 20_000)) : kind === 'average' ? Math.round(rng.logUniform(100, 1_500)) : rng.int(0, 60)
  const feedbackRange = kind === 'strong' ? [950, 995] : kind === 'average' ? [900, 960] : [820, 930]
  const positiveFeedbackRate = rng.int(feedbackRange[0]!, feedbackRange[1]!) / 10
  const product: CatalogueProduct = {
    productId,
    kind,
    productType: productType.name,
    title,
    salePriceUsd,
    ordersLast30Days,
    positiveFeedbackRate,
    commissionRate: rng.int(30, 90) / 10,
    category: productType.category,
    shop: {
      id: String(rng.int(900_000_000, 1_103_999_999)),
      name: `${rng.pick(SHOP_WORDS)} ${rng.pick(SHOP_WORDS)} ${rng.pick(SHOP_SUFFIX)}`,
    },
    imageUrl: `https://ae04.alicdn.com/kf/S${hexOf(productId, 32)}.jpg`,
    wire: {
      productIdAsNumber: rng.next() < 0.5,
      shopIdAsNumber: rng.next() < 0.7,
      appPriceAsNumber: rng.next() < 0.3,
      protocolRelative: rng.next() < 0.85,
    },
  }
  // About one in seven listings has no crossed-out price at all.
  if (rng.next() < 0.85) product.originalPriceUsd = roundPrice(salePriceUsd / (1 - rng.int(10, 70) / 100))
  if (rng.next() < 0.3) product.hotProductCommissionRate = rng.int(80, 200) / 10
  return product
}

/** A record in the affiliate wire format (upstream-apis.md 1.5 AffiliateProduct). */
export function wireRecord(product: CatalogueProduct, ctx: { currency?: string; trackingId?: string }): Record<string, unknown> {
  const { wire } = product
  const target = priceIn(product.salePriceUsd, ctx.currency ?? 'USD')
  const record: Record<string, unknown> = {
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
    ship_to_days: '10',
    shop_id: wire.shopIdAsNumber ? Number(product.shop.id) : product.shop.id,
    shop_name: product.shop.name,
    shop_url: `//www.aliexpress.com/store/${product.shop.id}`,
    target_app_sale_price: target.amount.toFixed(2),
    target_app_sale_price_currency: target.currency,
    target_sale_price: target.amount.toFixed(2),
    target_sale_price_currency: target.currency,
  }
  if (product.originalPriceUsd !== undefined) {
    const original = priceIn(product.originalPriceUsd, ctx.currency ?? 'USD')
    record['original_price'] = product.originalPriceUsd.toFixed(2)
    record['original_price_currency'] = 'USD'
    record['target_original_price'] = original.amount.toFixed(2)
    record['target_original_price_currency'] = original.currency
    record['discount'] = `${Math.round((1 - product.salePriceUsd / product.originalPriceUsd) * 100)}%`
  }
  if (product.hotProductCommissionRate !== undefined) record['hot_product_commission_rate'] = `${product.hotProductCommissionRate.toFixed(1)}%`
  if (ctx.trackingId) {
    record['promotion_link'] = `https://s.click.aliexpress.com/e/_${hexOf(`${product.productId}:${ctx.trackingId}`, 12)}`
  }
  return record
}

const SEARCH_STOP_WORDS = new Set(['for', 'and', 'the', 'with', 'of', 'in', 'to', 'a', 'an', 'new', 'hot', 'sale'])

function searchTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= 2 && !SEARCH_STOP_WORDS.has(word))
}

const singular = (word: string) => (word.length > 3 && word.endsWith('s') ? word.slice(0, -1) : word)

/**
 * Which product type a search means: the type whose name shares the most words with the keywords
 * (case-insensitive, a plural `s` ignored); ties go to the earlier type in PRODUCT_TYPES. Keywords
 * sharing no word with any type name (gibberish, or a product the catalogue does not sell) match
 * nothing, and the search answers 405 "The result is empty".
 */
export function productTypeForKeywords(keywords: string): ProductType | undefined {
  const words = new Set(searchTokens(keywords).map(singular))
  let best: ProductType | undefined
  let bestScore = 0
  for (const candidate of PRODUCT_TYPES) {
    const score = searchTokens(candidate.name).filter((word) => words.has(singular(word))).length
    if (score > bestScore) {
      best = candidate
      bestScore = score
    }
  }
  return best
}

/**
 * Every listing a keyword search finds, in relevance order: 1-60 listings of the matched type from
 * different shops, with varied price, orders and feedback (kind still follows the id's last digit,
 * never 0). Titles contain every keyword.
 */
export function searchCatalogue(keywords: string): CatalogueProduct[] {
  const productType = productTypeForKeywords(keywords)
  if (!productType) return []
  const normalized = searchTokens(keywords).join(' ')
  const nameWords = new Set(searchTokens(productType.name).map(singular))
  const extraWords = [...new Set(searchTokens(keywords))]
    .filter((word) => !nameWords.has(singular(word)))
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
  const rng = seeded(`search:${normalized}`)
  const total = rng.int(1, 60)
  const products: CatalogueProduct[] = []
  for (let i = 0; i < total; i++) {
    const middle = String(rng.int(0, 99_999)).padStart(5, '0') + String(rng.int(0, 999_999)).padStart(6, '0')
    const id = `1005${middle}${rng.int(1, 9)}`
    products.push(buildProduct(id, kindOf(id) as CatalogueProduct['kind'], productType, extraWords))
  }
  return products
}
