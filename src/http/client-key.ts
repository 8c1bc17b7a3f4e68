import { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'

/**
 * Who a request comes from, for per-client budgets. request.ip honours TRUST_PROXY, so with no trusted
 * proxy a forged X-Forwarded-For changes nothing; IPv6 clients are grouped by /64. An IPv4 address has
 * no colon and nothing to normalize, and it skips the long regular expression of node:net's isIPv6.
 */
export function clientKey(request: FastifyRequest): string {
  const ip = request.ip
  return ip.includes(':') ? normalizeIP(ip) : ip
}
