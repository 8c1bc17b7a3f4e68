import type { TopItem, TopPage } from '../schemas/products.ts'
import type { Verdict } from '../schemas/validation.ts'
import { StoreError } from './errors.ts'

// The best current validations, shared by the SQL stores and the supabase-js store: both call the
// migration's top_validations() (schema/migrations/0003_top_validations.sql) with the same arguments
// and turn its rows into the same page.

export interface TopQuery {
  verdicts: readonly Verdict[]
  /** only validations of this scoring version (the service's current one) */
  scoringVersion: string
  /** validations whose expiresAt is after this */
  now: Date
  minScore: number
  country?: string
  currency?: string
  /** the product's category, any case */
  category?: string
  limit: number
  /** `nextCursor` of the previous page */
  cursor?: string
}

/** What top_validations() returns, in SQL and in PostgREST's JSON. */
export interface TopRow {
  id: string | number
  product_id: string
  country: string
  currency: string
  score: number
  verdict: Verdict
  confidence: number | string
  validated_at: string | Date
  expires_at: string | Date
  scoring_version: string
  product: TopItem['product']
  components: TopItem['components']
  economics: TopItem['economics'] | null
}

interface Position {
  score: number
  validatedAt: string
  id: string
}

/** The function's arguments by name (PostgREST calls it by name); fetches one row more than a page. */
export function topArguments(query: TopQuery): Record<string, unknown> {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
  return {
    p_verdicts: [...query.verdicts],
    p_scoring_version: query.scoringVersion,
    p_now: query.now.toISOString(),
    p_min_score: query.minScore,
    // Above every score, time and id: the first page, with the comparison still an index condition.
    p_after_score: after?.score ?? 101,
    p_after_validated_at: after?.validatedAt ?? 'infinity',
    p_after_id: after?.id ?? '9223372036854775807',
    p_limit: query.limit + 1,
    p_country: query.country ?? null,
    p_currency: query.currency ?? null,
    p_category: query.category ?? null,
  }
}

export function topPage(rows: readonly TopRow[], limit: number): TopPage {
  const items = rows.slice(0, limit).map(toTopItem)
  const last = rows[limit - 1]
  if (rows.length <= limit || !last) return { items }
  return { items, nextCursor: encodeCursor({ score: last.score, validatedAt: iso(last.validated_at), id: String(last.id) }) }
}

function toTopItem(row: TopRow): TopItem {
  const item: TopItem = {
    productId: row.product_id,
    market: { country: row.country, currency: row.currency },
    product: row.product,
    score: row.score,
    verdict: row.verdict,
    confidence: Number(row.confidence),
    components: row.components,
    validatedAt: iso(row.validated_at),
    expiresAt: iso(row.expires_at),
    scoringVersion: row.scoring_version,
  }
  if (row.economics) item.economics = row.economics
  return item
}

const iso = (value: string | Date) => new Date(value).toISOString()

// The cursor is opaque to clients: base64url of [score, validatedAt, id].
function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.score, position.validatedAt, position.id])).toString('base64url')
}

function decodeCursor(cursor: string): Position {
  try {
    const [score, validatedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (Number.isInteger(score) && typeof validatedAt === 'string' && !Number.isNaN(Date.parse(validatedAt)) && typeof id === 'string' && /^\d{1,19}$/.test(id)) {
      return { score: score as number, validatedAt, id }
    }
  } catch {
    // answered below
  }
  throw new StoreError('cursor is not a nextCursor this API gave', { code: 'INVALID_CURSOR' })
}
