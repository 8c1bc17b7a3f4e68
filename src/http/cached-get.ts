import type { FastifyReply, FastifyRequest } from 'fastify'
import type { CacheStatus, EntryTimes } from '../cache/cache.ts'
import type { WindowBudget } from './window-budget.ts'
import type { LoadOptions, Outcome, Timing } from '../validation/context.ts'
import { clientKey } from './client-key.ts'
import { matchesEtag, negotiateEncoding, type PreparedBody, type PreparedCache, prepareBody } from './prepared.ts'

// The cacheable GET, in one place: a fresh answer is sent from bytes prepared once per cache entry
// (JSON, gzip, brotli and their ETags), synchronously, without calling the service; anything else goes
// to the loader and its answer is prepared for the next request. Either way the answer carries
// X-Cache, Server-Timing, the HTTP caching policy of docs/caching.md and a 304 for a matching ETag.
// A client may ask for an answer fetched anew (`?refresh=true`, or `Cache-Control: no-cache` as a
// browser's hard reload sends): that spends upstream quota, so it draws on a small per-client budget.

export type XCache = CacheStatus | 'BYPASS'

/** Route options every cached GET shares: its body is compressed already, and a GET has none to decompress. */
export const CACHED_GET = { compress: false, decompress: false } as const

export type CachedGet = (request: FastifyRequest, reply: FastifyReply, key: string, load: (opts?: LoadOptions) => Promise<Outcome<unknown>>) => void | Promise<void>

export interface CachedGetOptions {
  prepared: PreparedCache
  staleGraceMs: number
  /** how many answers fetched anew a client may ask for */
  refreshBudget: WindowBudget
}

export function createCachedGet(options: CachedGetOptions): CachedGet {
  const { prepared, refreshBudget } = options
  const cachingHeaders = cachingPolicy(Math.floor(options.staleGraceMs / 1000))

  function send(request: FastifyRequest, reply: FastifyReply, body: PreparedBody, xCache: XCache, timing: string) {
    const encoding = negotiateEncoding(request.headers['accept-encoding'])
    reply.headers(cachingHeaders(request, body))
    reply.header('x-cache', xCache)
    reply.header('server-timing', timing)
    reply.header('last-modified', body.lastModified)
    reply.header('etag', body.etags[encoding])
    if (matchesEtag(request.headers['if-none-match'], body)) return reply.code(304).send()
    reply.header('content-type', 'application/json; charset=utf-8')
    if (encoding !== 'identity') reply.header('content-encoding', encoding)
    return reply.send(body[encoding])
  }

  /** The prepared bytes of a cache entry: made once per stored entry, then reused by every request. */
  function bodyFor(key: string, outcome: Outcome<unknown>): PreparedBody {
    const existing = prepared.get(key)
    if (existing && existing.storedAt === outcome.entry.storedAt) return existing
    const body = prepareBody(JSON.stringify(outcome.value), outcome.entry)
    prepared.set(key, body)
    return body
  }

  /** The budget allowing, the answer fetched anew; without it, an explicit ask is a 429 and a browser's reload is served from cache. */
  function refresh(request: FastifyRequest, reply: FastifyReply, key: string, load: (opts?: LoadOptions) => Promise<Outcome<unknown>>, explicit: boolean) {
    return new Promise<boolean>((resolve, reject) => refreshBudget.take(clientKey(request), (error) => (!error ? resolve(true) : explicit ? reject(error) : resolve(false)))).then(
      async (allowed) => {
        const outcome = await load(allowed ? { refresh: true } : undefined)
        send(request, reply, bodyFor(key, outcome), allowed ? 'BYPASS' : outcome.status, serverTiming(outcome.timings))
      },
    )
  }

  return function cachedGet(request, reply, key, load) {
    const explicit = (request.query as { refresh?: boolean }).refresh === true
    if (explicit || request.headers['cache-control']?.includes('no-cache')) return refresh(request, reply, key, load, explicit)
    const hot = prepared.get(key)
    if (hot && Date.now() < hot.freshUntil) {
      send(request, reply, hot, 'HIT', 'cache;desc=hit')
      return
    }
    return load().then((outcome) => {
      send(request, reply, bodyFor(key, outcome), outcome.status, serverTiming(outcome.timings))
    })
  }
}

export function serverTiming(timings: readonly Timing[]): string {
  return timings
    .map((t) => [t.name, t.desc ? `desc=${t.desc}` : '', t.durMs !== undefined ? `dur=${t.durMs.toFixed(1)}` : ''].filter(Boolean).join(';'))
    .join(', ')
}

interface Policy {
  shared: Readonly<Record<string, string>>
  personal: Readonly<Record<string, string>>
}

/**
 * Cache-Control for an answer that stays valid until `freshUntil`.
 * - Browsers keep it at most a minute and may use it stale while revalidating.
 * - Shared caches keep it until the entry expires (s-maxage); RFC 9111 makes s-maxage imply
 *   proxy-revalidate, so their stale policy goes in CDN-Cache-Control (RFC 9213) instead.
 *   s-maxage is never below 1, also once the entry is stale: nginx, given a 304 whose Cache-Control
 *   has no positive lifetime, keeps its copy for the s-maxage it stored with it (up to 24 h more of
 *   an answer already expired here); one second more of a stale answer we are serving anyway is the
 *   cheap way out (test/edge/edge-cache.test.ts).
 * - An answer to a cross-origin or credentialed request is private: it carries a grant for one
 *   origin, and some CDNs ignore Vary, so no shared cache may hand it to anyone else.
 * The headers depend only on the seconds left, so they are built once per distinct value and shared
 * by every entry with as many seconds left: answers cached together expire together.
 */
function cachingPolicy(graceS: number) {
  const bySeconds = new Map<number, Policy>()
  return (request: FastifyRequest, body: EntryTimes, now = Date.now()): Readonly<Record<string, string>> => {
    const fresh = Math.max(0, Math.floor((body.freshUntil - now) / 1000))
    let policy = bySeconds.get(fresh)
    if (!policy) {
      // Bounded: a day of seconds at most, each a few hundred bytes.
      if (bySeconds.size >= 100_000) bySeconds.clear()
      policy = policyFor(fresh, graceS)
      bySeconds.set(fresh, policy)
    }
    const { headers } = request
    return headers.origin || headers.authorization || headers['x-api-key'] || headers['x-admin-key'] ? policy.personal : policy.shared
  }
}

function policyFor(fresh: number, grace: number): Policy {
  const browser = Math.min(60, fresh)
  return {
    shared: Object.freeze({
      'cache-control': `public, max-age=${browser}, s-maxage=${Math.max(1, fresh)}, stale-while-revalidate=60, stale-if-error=${grace}`,
      'cdn-cache-control': `max-age=${fresh}, stale-while-revalidate=${grace}, stale-if-error=${grace}`,
      vary: 'Origin, Accept-Encoding',
    }),
    personal: Object.freeze({ 'cache-control': `private, max-age=${browser}, stale-while-revalidate=60`, vary: 'Origin, Accept-Encoding' }),
  }
}
