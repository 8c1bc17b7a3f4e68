import type { Market } from '../schemas/market.ts'
import type { HistoryPage, TopPage } from '../schemas/products.ts'
import type { Validation } from '../schemas/validation.ts'
import type { TopQuery } from './top.ts'

export type { TopQuery }

export interface HistoryQuery {
  productId: string
  country?: string
  currency?: string
  /** rows per page; callers cap it (a page of 1,000 is already too much for one response) */
  limit: number
  /** an ISO instant, e.g. `nextBefore` of the previous page: only validations strictly older than it */
  before?: string
}

export interface PopularQuery {
  /** only validations at or after this instant count */
  since: Date
  /** at most this many product-market pairs */
  limit: number
  /** only this ship-to country / currency; every one when absent */
  country?: string
  currency?: string
}

/** A product in a market, and how much it was asked for since the query's instant. */
export interface PopularProduct {
  productId: string
  market: Market
  /** validations built since then (each one a cache miss somewhere) */
  validations: number
  lastValidatedAt: string
}

export interface ValidationStore {
  readonly kind: 'supabase' | 'postgres' | 'pglite'
  /** Multi-row upsert keyed by product, market and validatedAt: saving one validation twice keeps one row. */
  saveValidations(rows: readonly Validation[]): Promise<void>
  /**
   * The newest validation of the product in that market whose expiresAt is after `now`; with
   * `scoringVersion`, the newest of that version.
   */
  latestValidation(productId: string, market: Market, now: Date, scoringVersion?: string): Promise<Validation | undefined>
  /** Newest first. Throws a StoreError with code INVALID_CURSOR when `before` is not an ISO instant. */
  history(query: HistoryQuery): Promise<HistoryPage>
  /**
   * The product-market pairs validated most often since `since`, the most recently validated first
   * among equals: what `npm run warm -- --top N` keeps in the cache.
   */
  popularProducts(query: PopularQuery): Promise<PopularProduct[]>
  /**
   * The best validations still within their TTL, of one scoring version, newest per product and market,
   * best first (score, then validatedAt, then insertion). Throws a StoreError with code INVALID_CURSOR
   * when `cursor` is not a nextCursor it gave.
   */
  topValidations(query: TopQuery): Promise<TopPage>
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>
  /** the connection pool's clients, where there is a pool (node-postgres) */
  pool?(): { total: number; idle: number; waiting: number }
  close(): Promise<void>
}
