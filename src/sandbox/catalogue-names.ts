import type { ProductType } from './catalogue-product-types.ts'
import type { Random } from './random.ts'

// Listing titles and shop names as AliExpress sellers write them: keyword-stuffed, with the
// marketing noise a client has to see past.

const COLOURS = ['Black', 'White', 'Pink', 'Blue', 'Green', 'Gray', 'Red', 'Multicolor']
const NOISE_BEFORE = ['2024 New', '2025 New', 'Hot Sale', 'New Arrival', 'Upgraded', 'Original', 'Best Selling']
const NOISE_AFTER = ['Free Shipping', 'Dropshipping', 'Gift', 'Wholesale', 'Drop Shipping']
const SHOP_WORDS = ['Shenzhen', 'Bright', 'Happy', 'Smart', 'Yiwu', 'Global', 'Dream', 'Lucky', 'Sunny', 'Star', 'Home', 'Life']
const SHOP_SUFFIX = ['Store', 'Official Store', 'Factory Store', 'Flagship Store', 'Dropshipping Store']

function pickSome(rng: Random, items: readonly string[], min: number, max: number): string[] {
  const pool = [...items]
  const out: string[] = []
  const count = Math.min(pool.length, rng.int(min, max))
  for (let i = 0; i < count; i++) out.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]!)
  return out
}

/** A title with the type's name, some of its features and variants, and every one of `extraWords`. */
export function titleFor(rng: Random, productType: ProductType, extraWords: readonly string[]): string {
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

export function shopFor(rng: Random): { id: string; name: string } {
  return {
    id: String(rng.int(900_000_000, 1_103_999_999)),
    name: `${rng.pick(SHOP_WORDS)} ${rng.pick(SHOP_WORDS)} ${rng.pick(SHOP_SUFFIX)}`,
  }
}
