import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

// The CORS policy, in one place for both of its paths: @fastify/cors for preflights and the ordinary
// routes, and a precomputed grant per allowed origin for the hot GETs and the not-found answer
// (src/plugins/preset-headers.ts), where the plugin's per-request work (an options merge, an origin
// callback, Vary parsing, a request.routeOptions object) showed in the cached GET's profile.

const CREDENTIALS = true
const EXPOSED_HEADERS = ['x-cache', 'server-timing', 'etag', 'retry-after', 'x-request-id']

export type CorsGrants = ReadonlyMap<string, Readonly<Record<string, string>>>

/**
 * The headers an allowed origin gets on a simple (non-preflight) request, exactly as @fastify/cors
 * writes them; test/api/http.test.ts compares the two.
 */
export function corsGrants(origins: readonly string[]): CorsGrants {
  return new Map(
    origins.map((origin) => [
      origin,
      Object.freeze({
        'access-control-allow-origin': origin,
        ...(CREDENTIALS ? { 'access-control-allow-credentials': 'true' } : {}),
        'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
      }),
    ]),
  )
}

async function corsPlugin(app: FastifyInstance, options: { origins: readonly string[] }) {
  const allowed = new Set(options.origins)
  await app.register(cors, {
    // Exact membership in CORS_ORIGINS (never a reflected arbitrary origin), and nothing at all for
    // requests without an Origin header: no grant headers on server-to-server answers.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: CREDENTIALS,
    methods: ['GET', 'POST', 'HEAD', 'OPTIONS'],
    allowedHeaders: ['content-type', 'accept', 'if-none-match', 'x-request-id'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  })
}

export default fp(corsPlugin, { name: 'cors' })
