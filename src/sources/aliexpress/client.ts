import type {
  AliexpressProduct,
  AliexpressSource,
  Market,
  ProductSearch,
  ProductSearchPage,
  ShippingQuote,
  SourceFailure,
  SourceResult,
} from '../../validation/sources.ts'
import type { QuotaCounter } from '../../quota/counter.ts'
import { CIRCUIT_DEFAULTS, createCircuit } from '../circuit.ts'
import { type CallEvent, createUpstream, type Upstream, UpstreamError, type UpstreamResponse } from '../http.ts'
import { httpFailure, isFailure, transportFailure } from './failures.ts'
import { type DsCall, queryFreight } from './freight.ts'
import { parseProductDetailBody, parseProductQueryBody, throttleRetryDelay } from './parse.ts'
import { buildSignedParams, type ParamValue } from './sign.ts'

// The AliExpress affiliate API (and the dropshipping freight API, freight.ts) as an AliexpressSource.
// Every call is a read, so createUpstream may retry them; every outcome, transport failures included,
// comes back as a SourceResult.

export interface AliexpressClientOptions {
  apiUrl: string
  appKey?: string
  appSecret?: string
  trackingId?: string
  /** a dropshipper's session token: the freight API (dropshipping programme) refuses calls without one */
  accessToken?: string
  /** per call, retries included */
  timeoutMs: number
  /** open connections to the gateway at most */
  connections?: number
  /** ids per productdetail.get call; the documented limit is unknown, community clients use 20-50 */
  maxIdsPerCall?: number
  language?: string
  onCall?: (event: CallEvent) => void
  now?: () => number
  circuit?: { threshold: number; cooldownMs: number }
  /** calls a minute every instance shares (the counter is Redis when there is one); 0 or absent: not counted */
  budget?: { counter: QuotaCounter; callsPerMinute: number }
}

export type AliexpressClient = AliexpressSource & { close(): Promise<void> }

const PRODUCT_DETAIL = 'aliexpress.affiliate.productdetail.get'
const PRODUCT_QUERY = 'aliexpress.affiliate.product.query'

// Asking for exactly what parse.ts reads keeps answers small; the gateway ignores the rest.
const FIELDS = [
  'product_id',
  'product_title',
  'product_detail_url',
  'product_main_image_url',
  'sale_price',
  'sale_price_currency',
  'original_price',
  'original_price_currency',
  'target_sale_price',
  'target_sale_price_currency',
  'target_original_price',
  'target_original_price_currency',
  'evaluate_rate',
  'lastest_volume',
  'commission_rate',
  'shop_id',
  'shop_url',
  'shop_name',
  'first_level_category_id',
  'first_level_category_name',
  'second_level_category_id',
  'second_level_category_name',
  'promotion_link',
  'ship_to_days',
].join(',')

const MINUTE_MS = 60_000

/** aliexpress.affiliate.product.query accepts page_size 1-50. */
const MAX_PAGE_SIZE = 50

export function createAliexpressClient(options: AliexpressClientOptions): AliexpressClient {
  const { appKey, appSecret } = options
  const maxIdsPerCall = Math.max(1, options.maxIdsPerCall ?? 20)
  const language = options.language ?? 'EN'
  const now = options.now ?? Date.now
  const secrets = [appSecret, options.accessToken].filter((s): s is string => !!s)

  // No credentials, no pool: every call answers not_configured without touching the network.
  const upstream: Upstream | undefined =
    appKey && appSecret
      ? createUpstream({
          source: 'aliexpress',
          baseUrl: options.apiUrl,
          timeoutMs: options.timeoutMs,
          connections: options.connections,
          secrets,
          onCall: options.onCall,
        })
      : undefined

  const circuit = createCircuit({ label: 'AliExpress', ...CIRCUIT_DEFAULTS, ...options.circuit })
  const notConfigured: SourceFailure = { status: 'not_configured', reason: 'AliExpress app key and app secret are not configured' }
  const noSession: SourceFailure = {
    status: 'not_configured',
    reason: 'the AliExpress freight API needs a dropshipping session token (ALIEXPRESS_ACCESS_TOKEN), and none is configured',
  }

  const perMinute = options.budget?.callsPerMinute ?? 0
  const minuteOf = (at: number) => {
    const start = Math.floor(at / MINUTE_MS) * MINUTE_MS
    // Kept a minute past its end, for instances whose clocks lag.
    return { key: `aliexpress:calls:${start}`, resetsAt: start + MINUTE_MS, expiresAtMs: start + 2 * MINUTE_MS }
  }

  /** One call taken from the shared budget before it is made, so a spent minute costs no HTTP at all. */
  async function takeCall(): Promise<SourceFailure | undefined> {
    if (!options.budget || perMinute <= 0) return undefined
    const at = now()
    const minute = minuteOf(at)
    const taken = await options.budget.counter.consume(minute.key, 1, perMinute, minute.expiresAtMs)
    if (taken.allowed) return undefined
    return { status: 'quota_exhausted', reason: `AliExpress budget of ${perMinute} calls a minute is spent`, retryAfterMs: minute.resetsAt - at }
  }

  async function call(method: string, params: Record<string, ParamValue>, signal?: AbortSignal): Promise<UpstreamResponse | SourceFailure> {
    if (!upstream || !appKey || !appSecret) return notConfigured
    const refused = await takeCall()
    if (refused) return refused
    const form = buildSignedParams({ method, appKey, appSecret, params, now: now() })
    let attempts = 1
    try {
      const res = await upstream.request({ method: 'POST', form, idempotent: true, retryAfterBody: throttleRetryDelay, signal })
      attempts = res.attempts
      return res
    } catch (err) {
      if (err instanceof UpstreamError) attempts = err.attempts
      return transportFailure(err, secrets)
    } finally {
      // Retries are calls too; they were made, so they are counted whatever the limit.
      if (options.budget && perMinute > 0 && attempts > 1) {
        const minute = minuteOf(now())
        await options.budget.counter.consume(minute.key, attempts - 1, Number.MAX_SAFE_INTEGER, minute.expiresAtMs)
      }
    }
  }

  async function fetchChunk(ids: string[], market: Market, signal?: AbortSignal): Promise<SourceResult<Map<string, AliexpressProduct>>> {
    const res = await call(
      PRODUCT_DETAIL,
      {
        product_ids: ids.join(','),
        fields: FIELDS,
        target_currency: market.currency,
        target_language: language,
        country: market.country,
        tracking_id: options.trackingId,
      },
      signal,
    )
    if (isFailure(res)) return res
    return httpFailure(res) ?? parseProductDetailBody(res.body)
  }

  const dsCall: DsCall = async (method, params, signal) => {
    const res = await call(method, params, signal)
    if (isFailure(res)) return res
    return httpFailure(res) ?? { body: res.body }
  }

  return {
    // AliExpress publishes no call budget for the affiliate API; we count none yet.
    async state(at) {
      if (!options.budget || perMinute <= 0) return { ...circuit.state(at), budgets: [] }
      const minute = minuteOf(at.getTime())
      const used = await options.budget.counter.used(minute.key)
      return { ...circuit.state(at), budgets: [{ name: 'calls per minute', used, limit: perMinute, resetsAt: new Date(minute.resetsAt).toISOString() }] }
    },
    getProducts: (ids, market, signal) => circuit.run(() => getProducts(ids, market, signal)),
    searchProducts: (search, market, signal) => circuit.run(() => searchProducts(search, market, signal)),
    freight: (productId, market, signal) => circuit.run(() => freight(productId, market, signal)),
    async close() {
      await upstream?.close()
    },
  }

  async function getProducts(ids: readonly string[], market: Market, signal?: AbortSignal): Promise<SourceResult<Map<string, AliexpressProduct>>> {
    if (!upstream) return notConfigured
    // A non-numeric id cannot exist upstream and would fail its whole chunk as a bad parameter.
    const wanted = [...new Set(ids.map((id) => id.trim()))].filter((id) => /^\d{1,20}$/.test(id))
    const chunks: string[][] = []
    for (let i = 0; i < wanted.length; i += maxIdsPerCall) chunks.push(wanted.slice(i, i + maxIdsPerCall))
    const results = await Promise.all(chunks.map((chunk) => fetchChunk(chunk, market, signal)))
    const merged = new Map<string, AliexpressProduct>()
    for (const result of results) {
      // One failed chunk fails the whole answer: its ids would otherwise read as "no such product".
      if (result.status !== 'ok') return result
      for (const [id, product] of result.data) merged.set(id, product)
    }
    return { status: 'ok', data: merged }
  }

  async function freight(productId: string, market: Market, signal?: AbortSignal): Promise<SourceResult<ShippingQuote>> {
    if (!upstream) return notConfigured
    if (!options.accessToken) return noSession
    if (!/^\d{1,20}$/.test(productId)) return { status: 'not_found', reason: `no AliExpress product ${productId}` }
    return queryFreight(dsCall, options.accessToken, productId, market, signal)
  }

  async function searchProducts(search: ProductSearch, market: Market, signal?: AbortSignal): Promise<SourceResult<ProductSearchPage>> {
    const page = Math.max(1, Math.trunc(search.page))
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(search.pageSize)))
    const res = await call(
      PRODUCT_QUERY,
      {
        keywords: search.keywords.trim(),
        page_no: page,
        page_size: pageSize,
        sort: search.sort,
        fields: FIELDS,
        target_currency: market.currency,
        target_language: language,
        ship_to_country: market.country,
        tracking_id: options.trackingId,
      },
      signal,
    )
    if (isFailure(res)) return res
    return httpFailure(res) ?? parseProductQueryBody(res.body, page, pageSize)
  }
}
