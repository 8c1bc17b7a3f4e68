import { createClient, type PostgrestError } from '@supabase/supabase-js'
import type { Validation } from '../schemas/validation.ts'
import { StoreError } from './errors.ts'
import type { Market } from '../schemas/market.ts'
import { type HistoryRow, historyPage, type PopularRow, requireBefore, toPopularProduct, toRows } from './rows.ts'
import type { HistoryPage, TopPage } from '../schemas/products.ts'
import { type TopQuery, type TopRow, topArguments, topPage } from './top.ts'
import type { HistoryQuery, PopularQuery, ValidationStore } from './types.ts'

// What the tests verify (test/store/supabase.test.ts): supabase-js's real requests pass the same
// conformance suite as the SQL stores, answered with real SQL on PGlite by a stand-in that translates
// them as PostgREST documents (test/store/postgrest-sql.ts), under the service role, and the anon role
// can read but not write; the URLs, query strings, Prefer headers and bodies are pinned; the key travels
// only in headers; errors and hung requests become StoreErrors without it. What cannot be verified
// here, with no PostgREST and no Supabase: that a real PostgREST answers exactly as the stand-in does,
// and how Supabase maps its keys to roles.

export interface SupabaseStoreOptions {
  url: string
  serviceRoleKey: string
  /** deadline of each request; supabase-js has none of its own */
  timeoutMs?: number
}

const VALIDATIONS_KEY = 'product_id,country,currency,validated_at'
const HISTORY_COLUMNS = 'country,currency,validated_at,expires_at,verdict,scoring_version,score:payload->score,confidence:payload->confidence'

/** Create one per process: each client carries auth state, and a client per request leaks (supabase-js#926). */
export function createSupabaseStore(options: SupabaseStoreOptions): ValidationStore {
  const timeoutMs = options.timeoutMs ?? 5_000
  const client = createClient(options.url, options.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    // The write-behind queue retries writes with its own backoff, and a read on the request path would
    // rather fail fast than sit through supabase-js's 1 + 2 + 4 s of retries.
    db: { retry: false },
  })
  const deadline = () => AbortSignal.timeout(timeoutMs)
  const check = (what: string, error: PostgrestError | null) => {
    if (error) throw toStoreError(what, error, options.serviceRoleKey)
  }

  return {
    kind: 'supabase',
    async saveValidations(validations) {
      if (validations.length === 0) return
      const rows = toRows(validations)
      // Products first: validations reference them. A failure between the two requests is repaired by
      // the retry, since both upserts are idempotent.
      const products = await client
        .from('products')
        .upsert(rows.products, { onConflict: 'product_id', defaultToNull: false })
        .abortSignal(deadline())
      check('saving products', products.error)
      const saved = await client
        .from('validations')
        .upsert(rows.validations, { onConflict: VALIDATIONS_KEY, ignoreDuplicates: true, defaultToNull: false })
        .abortSignal(deadline())
      check('saving validations', saved.error)
    },
    async latestValidation(productId: string, market: Market, now: Date, scoringVersion?: string) {
      let request = client
        .from('validations')
        .select('payload')
        .eq('product_id', productId)
        .eq('country', market.country)
        .eq('currency', market.currency)
        .gt('expires_at', now.toISOString())
      if (scoringVersion !== undefined) request = request.eq('scoring_version', scoringVersion)
      const { data, error } = await request.order('validated_at', { ascending: false }).limit(1).abortSignal(deadline())
      check('reading the latest validation', error)
      return (data as { payload: Validation }[] | null)?.[0]?.payload
    },
    async history(query: HistoryQuery): Promise<HistoryPage> {
      const before = query.before === undefined ? undefined : requireBefore(query.before)
      const select = () => {
        let request = client.from('validations').select(HISTORY_COLUMNS).eq('product_id', query.productId)
        if (query.country !== undefined) request = request.eq('country', query.country)
        if (query.currency !== undefined) request = request.eq('currency', query.currency)
        return request
      }
      let first = select()
      if (before !== undefined) first = first.lt('validated_at', before)
      const { data, error } = await first
        .order('validated_at', { ascending: false })
        .order('country', { ascending: false })
        .order('currency', { ascending: false })
        .limit(query.limit + 1)
        .abortSignal(deadline())
      check('reading history', error)
      return historyPage((data ?? []) as unknown as HistoryRow[], query.limit, async (validatedAt) => {
        const tied = await select()
          .eq('validated_at', validatedAt)
          .order('country', { ascending: false })
          .order('currency', { ascending: false })
          .abortSignal(deadline())
        check('reading history', tied.error)
        return (tied.data ?? []) as unknown as HistoryRow[]
      })
    },
    async popularProducts(query: PopularQuery) {
      // PostgREST cannot group rows: the ranking is a function of the schema, called as RPC.
      const { data, error } = await client
        .rpc('popular_products', {
          since: query.since.toISOString(),
          max_rows: query.limit,
          only_country: query.country ?? null,
          only_currency: query.currency ?? null,
        })
        .abortSignal(deadline())
      check('ranking popular products', error)
      return ((data ?? []) as PopularRow[]).map(toPopularProduct)
    },
    async topValidations(query: TopQuery): Promise<TopPage> {
      // NOT EXISTS and the per-verdict merge are beyond PostgREST's filters: the migration's function does it.
      const { data, error } = await client.rpc('top_validations', topArguments(query)).abortSignal(deadline())
      check('reading the top validations', error)
      return topPage((data ?? []) as unknown as TopRow[], query.limit)
    },
    async ping() {
      const { error } = await client.from('validations').select('id').limit(1).abortSignal(deadline())
      check('ping', error)
    },
    async close() {
      // No session, refresh timer or realtime channel was ever started, and the sockets belong to the
      // global fetch dispatcher: nothing to stop. (removeAllChannels() would arm a 10 s realtime timer.)
    },
  }
}

function toStoreError(what: string, error: PostgrestError, key: string): StoreError {
  // A failed fetch comes back with an empty code and its stack trace as `details`: keep the message only.
  const parts = error.code ? [error.message, error.details, error.hint] : [error.message]
  const text = parts.filter((s) => typeof s === 'string' && s.length > 0).join(' ')
  // The key is never in a PostgREST message, but a fetch error can quote anything it was given.
  const message = `supabase ${what}: ${text.split(key).join('[redacted]') || 'request failed'}`
  // PostgREST passes PostgreSQL's SQLSTATE through as `code`; its own errors are PGRSTnnn.
  const code = typeof error.code === 'string' && error.code.length > 0 ? error.code : undefined
  return new StoreError(message, { code })
}
