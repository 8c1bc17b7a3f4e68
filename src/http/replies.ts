import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Entry } from '../cache/cache.ts'
import { matchesEtag, negotiateEncoding, type PreparedBody, type PreparedCache, prepareBody } from '../cache/prepared.ts'
import type { Timing } from '../validation/service.ts'

// Response headers shared by the cacheable GET routes: X-Cache, Server-Timing, and the HTTP caching
// policy for browsers and CDNs (docs/caching.md explains it).

export type XCache = 'HIT' | 'MISS' | 'STALE' | 'BYPASS'

export function serverTiming(timings: readonly Timing[]): string {
  return timings
    .map((t) => [t.name, t.desc ? `desc=${t.desc}` : '', t.durMs !== undefined ? `dur=${t.durMs.toFixed(1)}` : ''].filter(Boolean).join(';'))
    .join(', ')
}

/**
 * Cache-Control for a public answer that stays valid until `freshUntil`.
 * - Browsers keep it at most a minute and may use it stale while revalidating.
 * - Shared caches keep it until the entry expires (s-maxage); RFC 9111 makes s-maxage imply
 *   proxy-revalidate, so their stale policy goes in CDN-Cache-Control (RFC 9213) instead.
 *   s-maxage is never below 1, also once the entry is stale: nginx, given a 304 whose Cache-Control
 *   has no positive lifetime, keeps its copy for the s-maxage it stored with it (up to 24 h more of
 *   an answer already expired here); one second more of a stale answer we are serving anyway is the
 *   cheap way out (test/edge/edge-cache.test.ts).
 * - An answer to a cross-origin request carries a grant for that one origin, and some CDNs ignore
 *   Vary: it is private, so no shared cache can hand one origin's grant to another.
 */
export function cachingHeaders(request: FastifyRequest, body: Pick<PreparedBody, 'freshUntil'>, graceMs: number, now = Date.now()): Readonly<Record<string, string>> {
  const fresh = Math.max(0, Math.floor((body.freshUntil - now) / 1000))
  // The headers change only when `fresh` ticks down, once a second: built then, reused until.
  let policy = policies.get(body)
  if (policy?.fresh !== fresh) {
    policy = policyFor(fresh, Math.floor(graceMs / 1000))
    policies.set(body, policy)
  }
  return request.headers.origin || request.headers.authorization || request.headers['x-admin-key'] ? policy.personal : policy.shared
}

interface Policy {
  fresh: number
  shared: Readonly<Record<string, string>>
  personal: Readonly<Record<string, string>>
}

const policies = new WeakMap<object, Policy>()

function policyFor(fresh: number, grace: number): Policy {
  const browser = Math.min(60, fresh)
  return {
    fresh,
    shared: Object.freeze({
      'cache-control': `public, max-age=${browser}, s-maxage=${Math.max(1, fresh)}, stale-while-revalidate=60, stale-if-error=${grace}`,
      'cdn-cache-control': `max-age=${fresh}, stale-while-revalidate=${grace}, stale-if-error=${grace}`,
      vary: 'Origin, Accept-Encoding',
    }),
    personal: Object.freeze({ 'cache-control': `private, max-age=${browser}, stale-while-revalidate=60`, vary: 'Origin, Accept-Encoding' }),
  }
}

/** Sends prepared bytes: no serialization or compression here, a 304 when the client has them. */
export function sendPrepared(request: FastifyRequest, reply: FastifyReply, body: PreparedBody, xCache: XCache, timing: string, graceMs: number) {
  const encoding = negotiateEncoding(request.headers['accept-encoding'])
  reply.headers(cachingHeaders(request, body, graceMs))
  reply.header('x-cache', xCache)
  reply.header('server-timing', timing)
  reply.header('last-modified', body.lastModified)
  reply.header('etag', body.etags[encoding])
  if (matchesEtag(request.headers['if-none-match'], body)) return reply.code(304).send()
  reply.header('content-type', 'application/json; charset=utf-8')
  if (encoding !== 'identity') reply.header('content-encoding', encoding)
  return reply.send(body[encoding])
}

/** A fresh prepared answer from this process's memory. */
export function sendHit(request: FastifyRequest, reply: FastifyReply, body: PreparedBody, graceMs: number) {
  return sendPrepared(request, reply, body, 'HIT', 'cache;desc=hit', graceMs)
}

/** The prepared bytes of a cache entry: made once per stored entry, then reused by every request. */
export function preparedFor(prepared: PreparedCache, key: string, entry: Entry<unknown>, serialize: () => string): PreparedBody {
  const existing = prepared.get(key)
  if (existing && existing.storedAt === entry.t) return existing
  const body = prepareBody(serialize(), entry.t, entry.f, entry.s)
  prepared.set(key, body)
  return body
}

/** A fresh prepared answer for this key, if there is one: the hot path, no service call at all. */
export function freshPrepared(prepared: PreparedCache, key: string, now = Date.now()): PreparedBody | undefined {
  const body = prepared.get(key)
  return body && now < body.freshUntil ? body : undefined
}
