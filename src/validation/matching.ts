import { deriveKeywords, titleTokens } from './keywords.ts'
import type { AliexpressProduct } from './sources.ts'

// Is a search listing the same product as the one asked about? A keyword search also returns
// accessories, other models and bait prices (a $0.41 "charger" that is a sticker), so a listing counts
// as the same product only when its title says the same thing, its price is in a sane band of the
// product's and it sits in the same top-level category. docs/scoring.md ("Supplier matching") lists the
// numbers. Pure.

/** Title similarity from which two listings name the same product. */
export const MIN_TITLE_SIMILARITY = 0.6
/** A listing priced outside this ratio of the product's price is another product or a bait price. */
export const PRICE_BAND = { min: 0.4, max: 2.5 } as const
/** Words of the head phrase (what the listing is) weigh this much more than the rest of the title. */
const HEAD_WEIGHT = 3

export interface MatchDetail {
  /** 0-1: the title similarity, or 1 when both listings show the very same main image file */
  similarity: number
  titleSimilarity: number
  /** the listing's sale price over the product's; absent when either price is unknown */
  priceRatio?: number
  /** same first-level category; absent when either does not say */
  sameCategory?: boolean
  /** the main image is the same file on AliExpress's CDN (the affiliate API gives no image hash) */
  sameImage: boolean
}

export interface MatchResult extends MatchDetail {
  matched: boolean
  /** why it is not the same product; empty when matched */
  mismatch: string[]
}

/** A product's title prepared once and compared with many listings. */
export interface Reference {
  product: AliexpressProduct
  words: Map<string, number>
  weight: number
  image?: string
}

export function reference(product: AliexpressProduct): Reference {
  const words = weightedWords(product.title)
  return { product, words, weight: total(words), image: imageFile(product.imageUrl) }
}

export function matchListing(ref: Reference, listing: AliexpressProduct): MatchResult {
  const words = weightedWords(listing.title)
  let shared = 0
  for (const [word, w] of words) {
    const own = ref.words.get(word)
    if (own !== undefined) shared += own + w
  }
  const all = ref.weight + total(words)
  const titleSimilarity = all === 0 ? 0 : round2(shared / all)
  const image = imageFile(listing.imageUrl)
  const sameImage = image !== undefined && image === ref.image
  const detail: MatchDetail = { similarity: sameImage ? 1 : titleSimilarity, titleSimilarity, sameImage }

  const mismatch: string[] = []
  const own = ref.product.price
  const sale = listing.price.sale
  const comparable = own.sale !== undefined && own.sale > 0 && sale !== undefined && (own.currency ?? 'USD') === (listing.price.currency ?? 'USD')
  if (comparable) {
    detail.priceRatio = round3(sale / own.sale!)
    if (detail.priceRatio < PRICE_BAND.min || detail.priceRatio > PRICE_BAND.max) {
      mismatch.push(`price ${percent(detail.priceRatio)} of the product's, outside ${percent(PRICE_BAND.min)}-${percent(PRICE_BAND.max)}`)
    }
  } else mismatch.push('prices cannot be compared')
  const a = ref.product.firstLevelCategoryId
  const b = listing.firstLevelCategoryId
  if (a !== undefined && b !== undefined) {
    detail.sameCategory = a === b
    if (!detail.sameCategory) mismatch.push(`another category (${b}, not ${a})`)
  }
  if (!sameImage && titleSimilarity < MIN_TITLE_SIMILARITY) {
    mismatch.push(`title similarity ${titleSimilarity.toFixed(2)} is under ${MIN_TITLE_SIMILARITY}`)
  }
  return { ...detail, matched: mismatch.length === 0, mismatch }
}

/** Meaningful title words, plural `s` folded, the head phrase's words weighted HEAD_WEIGHT. */
function weightedWords(title: string): Map<string, number> {
  const words = new Map<string, number>()
  for (const word of titleTokens(title)) words.set(singular(word), 1)
  for (const word of deriveKeywords(title).split(' ')) if (word) words.set(singular(word), HEAD_WEIGHT)
  return words
}

function singular(word: string): string {
  return word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word
}

function total(words: Map<string, number>): number {
  let sum = 0
  for (const w of words.values()) sum += w
  return sum
}

/** "https://ae04.alicdn.com/kf/S3dbc….jpg_350x350.jpg" -> "S3dbc….jpg": the same upload on any host or size. */
function imageFile(url: string | undefined): string | undefined {
  const match = url ? /\/kf\/([^/?#_]+\.(?:jpe?g|png|webp))/i.exec(url) : null
  return match?.[1]?.toLowerCase()
}

const round2 = (n: number) => Math.round(n * 100) / 100
const round3 = (n: number) => Math.round(n * 1000) / 1000
const percent = (n: number) => `${Math.round(n * 100)}%`
