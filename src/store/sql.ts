import type { Validation } from '../schemas/validation.ts'
import { StoreError } from './errors.ts'
import { type HistoryRow, historyPage, type PopularRow, requireBefore, toPopularProduct, toRows } from './rows.ts'
import type { Market } from '../schemas/market.ts'
import type { HistoryPage, TopPage } from '../schemas/products.ts'
import { type TopQuery, type TopRow, topArguments, topPage } from './top.ts'
import type { HistoryQuery, PopularQuery, ValidationStore } from './types.ts'

// The SQL of the node-postgres and PGlite stores. Every statement is parameterized with $n and sent
// unnamed: Supabase's transaction pooler cannot keep named prepared statements. Market columns are
// compared with bare parameters (never `$2::text`) so that PostgreSQL keeps them char(n) and can use
// the indexes; test/store/indexes.test.ts EXPLAINs these very strings.

/** $1 products, $2 validations, both as JSON arrays of rows from rows.ts. One statement, so one round trip and atomic. */
export const SAVE_SQL = `
WITH saved_products AS (
  INSERT INTO products (product_id, title, image_url, category, shop_id, first_validated_at, last_validated_at)
  SELECT product_id, title, image_url, category, shop_id, first_validated_at, last_validated_at
  FROM jsonb_to_recordset($1::jsonb) AS p(
    product_id text, title text, image_url text, category text, shop_id text,
    first_validated_at timestamptz, last_validated_at timestamptz)
  ON CONFLICT (product_id) DO UPDATE SET
    title = EXCLUDED.title, image_url = EXCLUDED.image_url, category = EXCLUDED.category, shop_id = EXCLUDED.shop_id,
    first_validated_at = EXCLUDED.first_validated_at, last_validated_at = EXCLUDED.last_validated_at
  -- a retried batch leaves the product row alone instead of rewriting it; the trigger keeps the bounds
  WHERE products.last_validated_at < EXCLUDED.last_validated_at OR products.first_validated_at > EXCLUDED.first_validated_at
  RETURNING 1
)
INSERT INTO validations (product_id, country, currency, score, components, verdict, confidence, signals, payload,
  scoring_version, validated_at, expires_at)
SELECT product_id, country, currency, score, payload -> 'score' -> 'components', verdict, confidence, payload -> 'signals', payload,
  scoring_version, validated_at, expires_at
FROM jsonb_to_recordset($2::jsonb) AS v(
  product_id text, country text, currency text, score smallint, verdict text, confidence numeric,
  payload jsonb, scoring_version text, validated_at timestamptz, expires_at timestamptz)
ON CONFLICT (product_id, country, currency, validated_at) DO NOTHING`

/** $1 product id, $2 country, $3 currency, $4 now, $5 scoring version or null for any */
export const LATEST_SQL = `
SELECT payload FROM validations
WHERE product_id = $1 AND country = $2 AND currency = $3 AND expires_at > $4
  AND ($5::text IS NULL OR scoring_version = $5)
ORDER BY validated_at DESC
LIMIT 1`

const HISTORY_COLUMNS = `country, currency, validated_at, expires_at, verdict, scoring_version,
  payload -> 'score' AS score, (payload ->> 'confidence')::float8 AS confidence`

// $1 product id, $2 country or null, $3 currency or null: shared by both history queries.
const PRODUCT_MARKET_FILTER = `product_id = $1
  AND ($2::bpchar IS NULL OR country = $2)
  AND ($3::bpchar IS NULL OR currency = $3)`

/**
 * $1 product id, $2 country or null, $3 currency or null, $4 before or null, $5 limit. The null tests
 * fold away at planning: unnamed statements are planned with their parameter values.
 */
export const HISTORY_SQL = `
SELECT ${HISTORY_COLUMNS}
FROM validations
WHERE ${PRODUCT_MARKET_FILTER}
  AND ($4::timestamptz IS NULL OR validated_at < $4)
ORDER BY validated_at DESC, country DESC, currency DESC
LIMIT $5`

/** $1 product id, $2 country or null, $3 currency or null, $4 validated at: the rows of one instant */
export const HISTORY_TIED_SQL = `
SELECT ${HISTORY_COLUMNS}
FROM validations
WHERE ${PRODUCT_MARKET_FILTER}
  AND validated_at = $4
ORDER BY country DESC, currency DESC`

/** $1 since, $2 limit, $3 country or null, $4 currency or null: schema/migrations/0002_popular_products.sql */
export const POPULAR_SQL = 'SELECT * FROM popular_products($1, $2, $3, $4)'
/** The arguments of topArguments() in order; the function is inlined, so EXPLAIN shows its plan. */
export const TOP_SQL = `
SELECT id::text AS id, product_id, country, currency, score, verdict, confidence, validated_at, expires_at, scoring_version,
  product, components, economics
FROM top_validations($1::text[], $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

export const PING_SQL = 'SELECT 1'

/**
 * Queries our code does not make but the frontend (through PostgREST with the anon key) and operators
 * do; the listing indexes exist for them and the index test holds them to it. The best current products
 * are better asked of GET /api/v1/products/top (or rpc/top_validations), which also drops expired and
 * superseded validations.
 */
export const LISTING_SQL = {
  /** $1 verdict, $2 scoring version, $3 limit: the best products of a verdict, scores of one version being comparable */
  byVerdictAndScore: `SELECT product_id, country, currency, score, validated_at FROM validations
WHERE verdict = $1 AND scoring_version = $2 ORDER BY score DESC NULLS LAST, validated_at DESC LIMIT $3`,
  /** $1 since, $2 limit: everything validated recently, newest first */
  recent: `SELECT product_id, country, currency, score, verdict, validated_at FROM validations
WHERE validated_at >= $1 ORDER BY validated_at DESC LIMIT $2`,
} as const

export interface SqlClient {
  query<R>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>
}

/** One connection held for a sequence of statements (a transaction). */
export interface SqlSession extends SqlClient {
  /** several statements, no parameters (the simple query protocol) */
  exec(text: string): Promise<void>
}

export interface SqlDatabase extends SqlClient {
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>
  close(): Promise<void>
  pool?(): { total: number; idle: number; waiting: number }
}

export function historyParams(query: HistoryQuery): unknown[] {
  const before = query.before === undefined ? null : requireBefore(query.before)
  return [query.productId, query.country ?? null, query.currency ?? null, before, query.limit + 1]
}

export function createSqlStore(kind: 'postgres' | 'pglite', db: SqlDatabase): ValidationStore {
  return {
    kind,
    async saveValidations(validations) {
      if (validations.length === 0) return
      const rows = toRows(validations)
      // components and signals are parts of the payload: sent once, taken out of it by the statement.
      const slim = rows.validations.map(({ components: _components, signals: _signals, ...row }) => row)
      await run(() => db.query(SAVE_SQL, [JSON.stringify(rows.products), JSON.stringify(slim)]))
    },
    async latestValidation(productId: string, market: Market, now: Date, scoringVersion?: string) {
      const params = [productId, market.country, market.currency, now.toISOString(), scoringVersion ?? null]
      const result = await run(() => db.query<{ payload: Validation }>(LATEST_SQL, params))
      return result.rows[0]?.payload
    },
    async history(query: HistoryQuery): Promise<HistoryPage> {
      const params = historyParams(query)
      const result = await run(() => db.query<HistoryRow>(HISTORY_SQL, params))
      return historyPage(result.rows, query.limit, async (validatedAt) => {
        const tied = await run(() => db.query<HistoryRow>(HISTORY_TIED_SQL, [...params.slice(0, 3), validatedAt]))
        return tied.rows
      })
    },
    async popularProducts(query: PopularQuery) {
      const params = [query.since.toISOString(), query.limit, query.country ?? null, query.currency ?? null]
      const result = await run(() => db.query<PopularRow>(POPULAR_SQL, params))
      return result.rows.map(toPopularProduct)
    },
    async topValidations(query: TopQuery): Promise<TopPage> {
      const params = Object.values(topArguments(query))
      const result = await run(() => db.query<TopRow>(TOP_SQL, params))
      return topPage(result.rows, query.limit)
    },
    async ping() {
      await run(() => db.query(PING_SQL))
    },
    ...(db.pool ? { pool: db.pool } : {}),
    close: () => db.close(),
  }
}

/** Runs a statement and turns any failure into a StoreError carrying the SQLSTATE. */
export async function run<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement()
  } catch (err) {
    throw toStoreError(err)
  }
}

export function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const fields = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; severity?: unknown }
  // Only a server's error (it has a severity) carries a SQLSTATE; node's ECONNREFUSED, EPIPE and the
  // like stay in the message and the cause.
  const code = typeof fields.severity === 'string' && typeof fields.code === 'string' ? fields.code : undefined
  const message = err instanceof Error ? err.message : String(err)
  return new StoreError(`database: ${message}`, { code, cause: err })
}
