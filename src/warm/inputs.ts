import { AppError } from '../errors.ts'
import { parseProductInput } from '../validation/product-input.ts'

// A list of products to warm: one product id or AliExpress item URL a line; blank lines and lines
// starting with # are skipped. A line that names no product is reported and the rest still warmed.

export interface BadLine {
  line: number
  message: string
}

export interface ProductList {
  /** product lines read, good and bad */
  requested: number
  /** distinct product ids, in the order first seen */
  productIds: string[]
  bad: BadLine[]
}

export function parseProductList(text: string): ProductList {
  const seen = new Set<string>()
  const list: ProductList = { requested: 0, productIds: [], bad: [] }
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    list.requested++
    try {
      const id = parseProductInput(line)
      if (!seen.has(id)) list.productIds.push(id)
      seen.add(id)
    } catch (error) {
      list.bad.push({ line: index + 1, message: error instanceof AppError ? error.message : String(error) })
    }
  }
  return list
}
