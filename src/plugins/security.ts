import helmetPlugin from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import helmet from 'helmet'

// A JSON API needs the OWASP REST header set, not helmet's page-oriented defaults.
export const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  hsts: { maxAge: 31_536_000, includeSubDomains: true },
  crossOriginResourcePolicy: { policy: 'cross-origin' as const },
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  // Page-only headers: every byte of header is paid on every answer, and these protect nothing in JSON.
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
}

/**
 * The headers helmet sets with these options, computed by running helmet itself against a
 * recording response. The hot validation route sends these instead of running helmet per request
 * (helmet's per-request header building cost ~45% of throughput here: see pitfalls.md).
 */
function precomputedSecurityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader: (name: string, value: string | string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(HELMET_OPTIONS)({} as never, res as never, () => {})
  return headers
}

/** Computed once per process. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(precomputedSecurityHeaders())

/** @fastify/helmet for the routes registered in this scope. */
export async function helmetScope(app: FastifyInstance) {
  await app.register(helmetPlugin, HELMET_OPTIONS)
}
