import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'

// The headers every answer carries: the request id, the security headers and, for an allowed Origin,
// its CORS grant. helmet's and @fastify/cors's output is computed once at start-up and set by one
// onRequest hook, where the two libraries would rebuild the same headers on every request
// (https://github.com/helmetjs/helmet/issues/430 asks helmet for exactly this). @fastify/cors itself
// answers the preflights. test/api/http.test.ts checks the copies against both libraries.

/** OWASP's REST header set, not helmet's page-oriented defaults (https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html). */
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

const CREDENTIALS = true
const EXPOSED_HEADERS = ['x-cache', 'server-timing', 'etag', 'retry-after', 'x-request-id']

/** What helmet sets with HELMET_OPTIONS, recorded by running helmet against a recording response. */
function securityHeaders(): Record<string, string> {
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

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze(securityHeaders())

/** The headers an allowed origin gets on a simple request, as @fastify/cors writes them. */
export function corsGrant(origin: string): Readonly<Record<string, string>> {
  return Object.freeze({
    'access-control-allow-origin': origin,
    ...(CREDENTIALS ? { 'access-control-allow-credentials': 'true' } : {}),
    'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
  })
}

async function presetHeaders(app: FastifyInstance, options: { origins: readonly string[] }) {
  const grants = new Map(options.origins.map((origin) => [origin, corsGrant(origin)]))
  // Vary: Origin as @fastify/cors sets it; cacheable answers replace it with their full Vary.
  const preset = Object.freeze({ ...SECURITY_HEADERS, vary: 'Origin' })
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    reply.headers(preset)
    const origin = request.headers.origin
    if (origin !== undefined) {
      const grant = grants.get(origin)
      if (grant) reply.headers(grant)
    }
    done()
  })

  // In a scope of its own, @fastify/cors's hook runs only on the preflight route it adds.
  await app.register(async (preflight) => {
    await preflight.register(cors, {
      // Exact membership in CORS_ORIGINS (never a reflected arbitrary origin), and nothing at all for
      // requests without an Origin header.
      origin: (origin, callback) => callback(null, origin !== undefined && grants.has(origin)),
      credentials: CREDENTIALS,
      methods: ['GET', 'POST', 'HEAD', 'OPTIONS'],
      // authorization and x-api-key: a page sends its user's token or a key (AUTH_REQUIRED=true).
      allowedHeaders: ['content-type', 'accept', 'if-none-match', 'cache-control', 'x-request-id', 'authorization', 'x-api-key'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    })
  })
}

export default fp(presetHeaders, { name: 'preset-headers' })
