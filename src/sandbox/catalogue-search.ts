import { PRODUCT_TYPES, type ProductType } from './catalogue-product-types.ts'

// How a keyword search maps onto the catalogue: which product type it means, and which of its words
// the listing titles must carry besides the type's name.

const SEARCH_STOP_WORDS = new Set(['for', 'and', 'the', 'with', 'of', 'in', 'to', 'a', 'an', 'new', 'hot', 'sale'])

function searchTokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length >= 2 && !SEARCH_STOP_WORDS.has(word))
}

const singular = (word: string) => (word.length > 3 && word.endsWith('s') ? word.slice(0, -1) : word)

/** The keywords as the search sees them: case, punctuation and stop words gone. */
export function normalizedKeywords(keywords: string): string {
  return searchTokens(keywords).join(' ')
}

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

/** The keywords not already in the type's name, capitalized, once each: every title found carries them. */
export function extraTitleWords(keywords: string, productType: ProductType): string[] {
  const nameWords = new Set(searchTokens(productType.name).map(singular))
  return [...new Set(searchTokens(keywords))].filter((word) => !nameWords.has(singular(word))).map((word) => word.charAt(0).toUpperCase() + word.slice(1))
}
