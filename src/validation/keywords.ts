// Search terms for Facebook and YouTube from an AliExpress title. Titles are keyword-stuffed: the product
// noun phrase usually comes first, followed by noise, specs and uses. We keep the first few meaningful
// words of the head phrase. Rules are listed in docs/scoring.md; the output is part of cache keys, so a
// change here changes which cached Facebook and YouTube answers products share.

/** Lower case, single spaces, trimmed: the form every search term is cached under. */
export function normalizeTerms(terms: string): string {
  return terms.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim()
}

export function deriveKeywords(title: string, maxWords = 4): string {
  const tokens = tokenize(title)
  const kept: string[] = []
  for (let i = 0; i < tokens.length && kept.length < maxWords; i++) {
    const token = tokens[i]!
    if (token === BREAK) {
      // The head phrase ends at the first separator or "for"/"with" once it holds a product noun phrase.
      if (kept.length >= 2) break
      continue
    }
    if (!isMeaningful(token, tokens[i + 1], tokens[i - 1])) continue
    if (!kept.includes(token)) kept.push(token)
  }
  if (kept.length > 0) return kept.join(' ')
  // A title made only of noise still needs some terms; plain words are better than none.
  const plain = tokens.filter((t) => t !== BREAK && /^[\p{L}-]+$/u.test(t) && !STOP_WORDS.has(t))
  return [...new Set(plain)].slice(0, maxWords).join(' ')
}

/**
 * Every meaningful word of a title, once each, in order: the same noise, colour, unit and count rules
 * as deriveKeywords, over the whole title instead of its head phrase. Supplier matching compares titles
 * with these, so both features agree on what a title says.
 */
export function titleTokens(title: string): string[] {
  const tokens = tokenize(title)
  const kept = new Set<string>()
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token !== BREAK && isMeaningful(token, tokens[i + 1], tokens[i - 1])) kept.add(token)
  }
  return [...kept]
}

const BREAK = '\u0000'

const PHRASE_BREAK_WORDS = new Set(['for', 'with', 'compatible', 'suitable', 'fits'])

const STOP_WORDS = new Set([
  'a', 'an', 'and', 'the', 'of', 'to', 'in', 'on', 'at', 'by', 'or', 'from', 'into', 'as', 'is', 'it', 'its', 'this',
  'that', 'your', 'you', 'my', 'our', 'all', 'per', 'each', 'x', 'amp', 'quot',
])

const NOISE_WORDS = new Set([
  // marketing
  'new', 'arrival', 'arrivals', 'hot', 'sale', 'sales', 'selling', 'seller', 'free', 'shipping', 'ship', 'dropshipping',
  'dropship', 'drop', 'best', 'top', 'high', 'quality', 'original', 'genuine', 'authentic', 'official', 'wholesale',
  'brand', 'branded', 'latest', 'newest', 'upgraded', 'upgrade', 'version', 'edition', 'fashion', 'fashionable',
  'trendy', 'popular', 'cheap', 'discount', 'promotion', 'promo', 'super', 'premium', 'amazing', 'stock', 'fast',
  'delivery', 'express', 'warehouse', 'factory', 'direct', 'luxury', 'style', 'stylish', 'cute', 'lovely', 'beautiful',
  'creative', 'pro', 'plus', 'max',
  'ultra', 'lite', 'model', 'hd',
  // specs that sit between the adjectives and the noun of many titles
  'mini', 'usb', 'rechargeable',
  // quantities and packs
  'pc', 'pcs', 'piece', 'pieces', 'set', 'sets', 'lot', 'lots', 'pack', 'packs', 'pair', 'pairs', 'bundle',
  // regions of stock and plugs
  'eu', 'us', 'uk', 'au', 'cn', 'ru',
  // units written apart from their numbers
  'mm', 'cm', 'm', 'km', 'inch', 'inches', 'ft', 'feet', 'meter', 'meters', 'metre', 'metres', 'ml', 'l',
  'liter', 'liters', 'litre', 'oz', 'g', 'kg', 'lb', 'lbs', 'w', 'kw', 'v', 'mah', 'hz', 'gb', 'tb', 'mb',
  // sizes
  's', 'xs', 'xl', 'xxl', 'xxxl', 'xxxxl', 'size', 'sizes',
  // gender: FB and YouTube find the product without it, and "for Women"/"Women's" titles converge
  'women', 'woman', 'womens', 'men', 'man', 'mens', 'ladies', 'lady', 'female', 'male', 'unisex',
])

const COLOURS = new Set([
  'black', 'white', 'red', 'blue', 'green', 'yellow', 'pink', 'purple', 'orange', 'grey', 'gray', 'brown', 'beige',
  'gold', 'golden', 'silver', 'transparent', 'clear', 'navy', 'khaki', 'violet', 'cyan', 'ivory', 'cream', 'multicolor',
  'multicolour', 'multicolored', 'colorful', 'colourful', 'color', 'colors', 'colour', 'colours', 'dark', 'light',
])

/** Tokens with digits that name a product kind rather than a size or model. */
const KEPT_WITH_DIGITS = new Set(['2d', '3d', '4k', '8k', '4g', '5g', 'mp3', 'mp4', 'ps4', 'ps5'])

function isMeaningful(token: string, next: string | undefined, previous: string | undefined): boolean {
  if (STOP_WORDS.has(token) || NOISE_WORDS.has(token)) return false
  if (/\d/u.test(token)) return KEPT_WITH_DIGITS.has(token)
  // "6 Modes", "3 Speeds", "20 Colors": a word after a count is a feature, not the product. Not after
  // "1" ("2 in 1 Ceramic") nor after a year ("2024 Casual").
  if (previous !== undefined && /^\d{1,3}$/u.test(previous) && Number(previous) >= 2) return false
  // "light" is a colour shade in "Light Blue" but the product in "LED Strip Light".
  if (token === 'light' || token === 'dark') return next === undefined || !COLOURS.has(next)
  // "Color Changing Mug" describes the product; "Rose Gold" is a colour but "Eternal Rose" is not.
  if (COLOURS.has(token)) return next === 'changing' || next === 'changeable'
  if (token === 'rose') return next !== 'gold'
  if (token === 'changing' || token === 'changeable') return previous !== undefined && COLOURS.has(previous)
  return /\p{L}/u.test(token)
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&apos;': "'", '&lt;': '<', '&gt;': '>' }

function tokenize(title: string): string[] {
  const text = title
    .normalize('NFKC')
    .replace(/&(amp|quot|#39|apos|lt|gt);/gu, (entity) => ENTITIES[entity] ?? ' ')
    .toLowerCase()
    // "Women's" -> "women", "Kids'" -> "kids"
    .replace(/(\p{L})['’](s\b)?/gu, '$1')
  const tokens: string[] = []
  // Separators that end a phrase: brackets, commas, bars, slashes, plus signs, and spaced dashes.
  for (const chunk of text.split(/[,;:|/\\+()[\]{}【】「」『』〔〕（）《》<>!?。，、~*#]|\s[-–—]+\s|[–—]/u)) {
    const words = chunk.split(/\s+/u).map(cleanWord).filter(Boolean)
    for (const word of words) {
      if (PHRASE_BREAK_WORDS.has(word)) tokens.push(BREAK)
      else tokens.push(word)
    }
    tokens.push(BREAK)
  }
  return tokens
}

/** Trims punctuation around a word; keeps inner hyphens and dots ("t-shirt", "usb-c", "5.3"). */
function cleanWord(word: string): string {
  return word.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').replace(/[^\p{L}\p{N}.-]/gu, '')
}
