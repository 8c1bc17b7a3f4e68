// Coercion of AliExpress's loosely typed values, shared by the affiliate and dropshipping parsers:
// numbers arrive as strings and strings as numbers, percentages carry '%', ids may exceed 2^53 and
// wrapper arrays may be single objects.

export type Json = Record<string, unknown>

// Keys ending in `_id` hold product, shop, sku and category ids; a 17-digit sku id silently loses
// digits in a double, so every numeric id and any other integer too long for a double is quoted
// before JSON.parse. The `(?<!\\)"` anchor keeps the match out of escaped quotes inside strings.
const NUMERIC_ID_FIELD = /((?<!\\)"[A-Za-z0-9_]*_id"\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=\s*[,}\]])/g
const LONG_INTEGER_VALUE = /((?<!\\)"\s*:\s*|[[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g

/** JSON.parse that keeps numeric ids and over-long integers exact by turning them into strings. */
export function parseJsonKeepingIds(text: string): unknown {
  const guarded = text.replace(NUMERIC_ID_FIELD, '$1"$2"').replace(LONG_INTEGER_VALUE, '$1"$2"')
  return JSON.parse(guarded)
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim()
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/** "17.12", 17.12, "1,234.50" -> number; anything else -> undefined */
export function parseDecimal(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const cleaned = value.trim().replace(/,(?=\d{3}(\D|$))/g, '')
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return undefined
  return Number(cleaned)
}

/** "97.8%", "97.8", 97.8 -> 97.8; values outside 0-100 are not percentages and are dropped */
export function parsePercent(value: unknown): number | undefined {
  const n = parseDecimal(typeof value === 'string' ? value.trim().replace(/\s*%$/, '') : value)
  return n !== undefined && n >= 0 && n <= 100 ? n : undefined
}

/** 300, "300", "1000+" -> count */
export function parseCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined
  const match = typeof value === 'string' ? /^\s*(\d+)\+?\s*$/.exec(value.replace(/,/g, '')) : null
  return match ? Number(match[1]) : undefined
}

/** protocol-relative and plain-http AliExpress links become https */
export function absoluteUrl(value: unknown): string | undefined {
  const url = text(value)
  if (!url) return undefined
  if (url.startsWith('//')) return `https:${url}`
  if (url.startsWith('http://')) return `https://${url.slice(7)}`
  return url
}

export function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  return value === undefined || value === null ? [] : [value]
}

/**
 * `ship_to_days` is free text: "10", "3-7", "ship to US in 7 days" all occur in public clients. The
 * largest number in it, as a buyer should expect the slow end; nothing when it names no day count.
 */
export function parseDays(value: unknown): number | undefined {
  const raw = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : ''
  const numbers = [...raw.matchAll(/\d+(?:\.\d+)?/g)].map((m) => Number(m[0])).filter((n) => n > 0 && n <= 365)
  return numbers.length > 0 ? Math.ceil(Math.max(...numbers)) : undefined
}
