import type { Validation } from '../schemas/validation.ts'
import { StoreError } from './errors.ts'
import type { HistoryItem, HistoryPage } from '../schemas/products.ts'
import type { PopularProduct } from './types.ts'

// The database's snake_case shapes, shared by the SQL stores and the supabase-js store so that every
// implementation writes the same columns from the same validation.

export interface ProductRow {
  product_id: string
  title: string
  image_url: string | null
  category: string | null
  shop_id: string | null
  first_validated_at: string
  last_validated_at: string
}

export interface ValidationRow {
  product_id: string
  country: string
  currency: string
  score: number | null
  components: Validation['score']['components']
  verdict: Validation['verdict']
  confidence: number
  signals: Validation['signals']
  payload: Validation
  scoring_version: string
  validated_at: string
  expires_at: string
}

/** What the history queries select, in both SQL and PostgREST form. */
export interface HistoryRow {
  country: string
  currency: string
  validated_at: string | Date
  expires_at: string | Date
  verdict: Validation['verdict']
  scoring_version: string
  score: Validation['score']
  confidence: number
}

/**
 * The rows to upsert for a batch. Validations are deduplicated by their unique key (a batch with the
 * same key twice is rejected by PostgREST, and would be pointless in SQL); products are reduced to one
 * row each and sorted by id so that two writers lock them in the same order and cannot deadlock.
 */
export function toRows(validations: readonly Validation[]): { products: ProductRow[]; validations: ValidationRow[] } {
  const byKey = new Map<string, ValidationRow>()
  const products = new Map<string, ProductRow>()
  for (const v of validations) {
    const row = toValidationRow(v)
    byKey.set(`${row.product_id}|${row.country}|${row.currency}|${row.validated_at}`, row)
    const known = products.get(v.productId)
    if (!known) {
      products.set(v.productId, toProductRow(v, row.validated_at))
      continue
    }
    // ISO instants in UTC with milliseconds compare correctly as strings.
    const newest = known.last_validated_at > row.validated_at ? known : toProductRow(v, row.validated_at)
    const earliest = [known.first_validated_at, row.validated_at].sort()[0]!
    products.set(v.productId, { ...newest, first_validated_at: earliest })
  }
  return {
    products: [...products.values()].sort((a, b) => (a.product_id < b.product_id ? -1 : a.product_id > b.product_id ? 1 : 0)),
    validations: [...byKey.values()],
  }
}

function toValidationRow(v: Validation): ValidationRow {
  return {
    product_id: v.productId,
    country: v.market.country,
    currency: v.market.currency,
    // The column is for queries; the payload keeps the exact number.
    score: v.score.total === null ? null : Math.round(v.score.total),
    components: v.score.components,
    verdict: v.verdict,
    confidence: v.confidence,
    signals: v.signals,
    payload: v,
    scoring_version: v.scoringVersion,
    // Normalized so that "…00Z" and "…00.000Z" are one key in the deduplication above.
    validated_at: toInstant(v.validatedAt, 'validatedAt'),
    expires_at: toInstant(v.expiresAt, 'expiresAt'),
  }
}

function toProductRow(v: Validation, validatedAt: string): ProductRow {
  return {
    product_id: v.productId,
    title: v.product.title,
    image_url: v.product.imageUrl ?? null,
    category: v.product.category ?? null,
    shop_id: v.product.shop.id ?? null,
    first_validated_at: validatedAt,
    last_validated_at: validatedAt,
  }
}

function toInstant(value: string, field: string): string {
  const ms = Date.parse(value)
  // 22007 is PostgreSQL's invalid_datetime_format: the row can never be written, so it is permanent.
  if (Number.isNaN(ms)) throw new StoreError(`${field} is not a timestamp`, { code: '22007' })
  return new Date(ms).toISOString()
}

/** A row of the popular_products function, as SQL (Date) or PostgREST (string) gives it. */
export interface PopularRow {
  product_id: string
  country: string
  currency: string
  validations: number | string
  last_validated_at: string | Date
}

export function toPopularProduct(row: PopularRow): PopularProduct {
  return {
    productId: row.product_id,
    market: { country: row.country, currency: row.currency },
    validations: Number(row.validations),
    lastValidatedAt: new Date(row.last_validated_at).toISOString(),
  }
}

export function toHistoryItem(row: HistoryRow): HistoryItem {
  return {
    validatedAt: new Date(row.validated_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    market: { country: row.country, currency: row.currency },
    score: row.score.total,
    verdict: row.verdict,
    confidence: Number(row.confidence),
    scoringVersion: row.scoring_version,
    components: row.score.components,
  }
}

/** `before` of a history query as an ISO instant; undefined when it is not one. */
export function parseBefore(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

export function requireBefore(text: string): string {
  const before = parseBefore(text)
  if (!before) throw new StoreError('before must be an ISO 8601 instant such as 2025-01-31T12:00:00.000Z', { code: 'INVALID_CURSOR' })
  return before
}

/**
 * A page of `limit` items from `rows` (fetched with limit + 1, newest first). The cursor is the last
 * item's validatedAt, and the next page asks for rows strictly older. Two markets of one product can
 * share an instant; when such a pair straddles the page end, "older than" would skip the second one,
 * so the page takes the whole tied group instead (it can then exceed `limit` by a few rows).
 */
export async function historyPage(
  rows: readonly HistoryRow[],
  limit: number,
  tiedAt: (validatedAt: string) => Promise<HistoryRow[]>,
): Promise<HistoryPage> {
  const items = rows.slice(0, limit).map(toHistoryItem)
  const next = rows[limit]
  const last = items.at(-1)
  if (!next || !last) return { items }
  const boundary = last.validatedAt
  if (new Date(next.validated_at).toISOString() !== boundary) return { items, nextBefore: boundary }
  const tied = (await tiedAt(boundary)).map(toHistoryItem)
  return { items: [...items.filter((item) => item.validatedAt !== boundary), ...tied], nextBefore: boundary }
}
