import { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'

// Who a request counts against, for every per-client budget (the rate limit, and any stricter budget
// added later): the authenticated client when there is one (src/plugins/auth.ts sets `clientId` to
// `key:<hash prefix>` or `user:<sub>`), else the client address. request.ip honours TRUST_PROXY only, so
// a client's own X-Forwarded-For cannot move it to another bucket; IPv6 clients are grouped by /64,
// since one host is commonly given a whole /64. The two kinds cannot collide: neither an IPv4 address
// nor a normalized IPv6 prefix can contain "key:" or "user:".
export function clientKey(request: FastifyRequest): string {
  const id = request.clientId
  if (id) return id
  const ip = request.ip
  // An IPv4 address has no colon and nothing to normalize; it skips the long regular expression of
  // node:net's isIPv6 (0.8k instructions per request, PERFORMANCE.md).
  return ip.includes(':') ? normalizeIP(ip) : ip
}

declare module 'fastify' {
  interface FastifyRequest {
    /** the authenticated client, set by the auth plugin; undefined when auth is off or failed */
    clientId?: string | null
  }
}
