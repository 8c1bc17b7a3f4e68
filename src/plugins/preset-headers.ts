import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CorsGrants } from './cors.ts'
import { SECURITY_HEADERS } from './security.ts'

// The headers every answer carries (request id, security headers, CORS grant), set without running
// @fastify/helmet or @fastify/cors: for the hot cacheable GETs, where helmet's per-request work cost
// ~45% of throughput (pitfalls.md) and @fastify/cors's showed in the profile, and for the not-found
// answer. test/api/http.test.ts checks that the result is identical to what the plugins write on the
// ordinary routes.

/**
 * The security headers precomputed by helmet at start-up and, for an allowed Origin, its precomputed
 * CORS grant: two map-lookup merges per request.
 */
export function presetHeaders(grants: CorsGrants) {
  // Vary: Origin as @fastify/cors sets it; cacheable answers replace it with their full Vary.
  const preset = Object.freeze({ ...SECURITY_HEADERS, vary: 'Origin' })
  return (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id)
    reply.headers(preset)
    const origin = request.headers.origin
    if (origin !== undefined) {
      const grant = grants.get(origin)
      if (grant) reply.headers(grant)
    }
  }
}

/** presetHeaders on every route registered in `scope`, as its one onRequest hook. */
export function presetHotHeaders(scope: FastifyInstance, grants: CorsGrants) {
  const set = presetHeaders(grants)
  scope.addHook('onRequest', (request, reply, done) => {
    set(request, reply)
    done()
  })
}

/** The request id echoed on the ordinary routes (design section 9: one id a request, in x-request-id). */
export function echoRequestId(scope: FastifyInstance) {
  scope.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
}
