import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { createApiKeyCheck } from '../auth/api-keys.ts'
import type { AuthConfig } from '../auth/config.ts'
import { createTokenVerifier, KeysUnavailable } from '../auth/tokens.ts'
import { AppError } from '../errors.ts'

// Registered only when AUTH_REQUIRED=true (src/app.ts), so with auth off no request does any of this.
// Every route under `prefix` then needs an API key (x-api-key) or a Supabase user token (Authorization:
// Bearer); the client it names becomes request.clientId, which the rate limit counts instead of the
// address (src/http/client-key.ts). The hook goes first among each route's own onRequest hooks, before
// the rate limit. A refused request is counted against its address, so guessing keys is rate-limited
// too. Answers never repeat the credential, nor say which part of a token was wrong.

export interface AuthOptions {
  auth: AuthConfig
  /** the routes that need a client: those whose path starts with it */
  prefix: string
  /** routes under `prefix` that answer to another credential (the admin routes' x-admin-key) */
  except?: string
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="dropforge"', 'cache-control': 'no-store' }
const MISSING = 'Send an API key in the x-api-key header or a user token in Authorization: Bearer <token>'
type Done = (error?: Error) => void
const BEARER = /^Bearer +([A-Za-z0-9_.~+/-]+=*) *$/i

async function authPlugin(app: FastifyInstance, options: AuthOptions) {
  const checkKey = createApiKeyCheck(options.auth.apiKeyHashes)
  const tokens = options.auth.tokens ? createTokenVerifier(options.auth.tokens) : undefined
  app.decorateRequest('clientId', null)

  function refuse(request: FastifyRequest, reply: FastifyReply, done: Done, message: string) {
    app.rateLimitHook(request, reply, (limited) => done(limited ?? new AppError('UNAUTHORIZED', message, { headers: CHALLENGE })))
  }

  function authenticate(request: FastifyRequest, reply: FastifyReply, done: Done) {
    const key = request.headers['x-api-key']
    if (key !== undefined) {
      const id = typeof key === 'string' ? checkKey(key) : undefined
      if (!id) return refuse(request, reply, done, 'The API key is not valid')
      request.clientId = id
      return done()
    }
    const authorization = request.headers.authorization
    if (authorization === undefined) return refuse(request, reply, done, MISSING)
    const token = BEARER.exec(authorization)?.[1]
    if (!token || !tokens) return refuse(request, reply, done, MISSING)
    const remembered = tokens.remembered(token)
    if (remembered) {
      request.clientId = remembered
      return done()
    }
    tokens.verify(token).then(
      (id) => {
        request.clientId = id
        done()
      },
      (error: unknown) => {
        if (!(error instanceof KeysUnavailable)) return refuse(request, reply, done, 'The token is not valid or has expired')
        request.log.warn({ err: error.cause }, 'the JWKS could not be fetched; user tokens cannot be checked')
        done(new AppError('UPSTREAM_UNAVAILABLE', 'User tokens cannot be checked right now; try again shortly', { headers: { 'retry-after': '5' } }))
      },
    )
  }

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(options.prefix) || (options.except && route.url.startsWith(options.except))) return
    route.onRequest = [authenticate, ...[route.onRequest ?? []].flat()]
  })
}

export default fp(authPlugin, { name: 'auth', dependencies: ['rate-limit'] })
