import { AppError } from '../errors.ts'
import { PRODUCT_ID_PATTERN } from '../schemas/product.ts'

// What a client may name a product with. The URL is only ever parsed for its id: the service never
// fetches a URL a client gave it.

const ID = new RegExp(PRODUCT_ID_PATTERN)
// www., m. and country sub-domains of aliexpress.com, and aliexpress.us; nothing that merely contains the name.
const HOST = /^(?:(?:www|m|[a-z]{2})\.)?aliexpress\.(?:com|us)$/
const ITEM_PATHS = [/^\/item\/(\d+)\.html$/, /^\/i\/(\d+)\.html$/, /^\/store\/product\/[^/]+\/\d+_(\d+)\.html$/]

export const ACCEPTED_FORMS =
  'a numeric AliExpress product id (e.g. 1005006123456789) or an item URL such as https://www.aliexpress.com/item/1005006123456789.html (country sub-domains, m.aliexpress.com and aliexpress.us accepted)'

/** The product id named by `input`, or an INVALID_PRODUCT error. */
export function parseProductInput(input: unknown): string {
  if (typeof input !== 'string') throw invalid(input)
  const text = input.trim()
  if (ID.test(text)) return text
  if (text.length > 2048) throw invalid('(too long)')
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`)
  } catch {
    throw invalid(text)
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.port) throw invalid(text)
  if (!HOST.test(url.hostname)) throw invalid(text)
  const path = url.pathname.replace(/\/+$/, '')
  for (const pattern of ITEM_PATHS) {
    const id = pattern.exec(path)?.[1]
    if (id && ID.test(id)) return id
  }
  throw invalid(text)
}

function invalid(input: unknown): AppError {
  const shown = typeof input === 'string' ? JSON.stringify(input.slice(0, 120)) : typeof input
  return new AppError('INVALID_PRODUCT', `${shown} is not an AliExpress product: send ${ACCEPTED_FORMS}`)
}
