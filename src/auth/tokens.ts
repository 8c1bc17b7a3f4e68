import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { LRUCache } from 'lru-cache'

// Supabase user tokens (Authorization: Bearer <jwt>), verified with jose: the signature against the
// project's JWKS (asymmetric signing keys) or its legacy HS256 secret, then exp/nbf, the issuer
// (<project>/auth/v1) and the audience Supabase gives signed-in users (`authenticated`); the anon and
// service keys, which have no such audience, are refused. Each algorithm family is tied to its key
// source, so a token cannot pick HS256 to have a public key used as an HMAC secret.

export interface TokenOptions {
  jwksUrl?: string
  secret?: string
  issuer: string
  audience: string
}

/** The token could not be checked because the key set could not be had: not the client's fault. */
export class KeysUnavailable extends Error {}

const ASYMMETRIC = ['ES256', 'RS256', 'EdDSA'] as const
const MAX_TOKEN_LENGTH = 8192
const MAX_SUBJECT_LENGTH = 128
// A verified token is remembered this long at most (and never past its exp), so that a busy client's
// every request does not pay for a signature check.
const REMEMBER_MS = 60_000

export interface TokenVerifier {
  /** the client id (`user:<sub>`) of a token verified earlier and still valid, without any work */
  remembered(token: string): string | undefined
  /** the client id; rejects with a jose error (refuse the token) or KeysUnavailable (answer 503) */
  verify(token: string): Promise<string>
}

export function createTokenVerifier(options: TokenOptions): TokenVerifier {
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 3_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    : undefined
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined
  const verified = new LRUCache<string, string>({ max: 10_000, ttl: REMEMBER_MS })
  const claims = { issuer: options.issuer, audience: options.audience, requiredClaims: ['exp', 'sub'], clockTolerance: 5 }

  async function check(token: string): Promise<{ sub: string; exp: number }> {
    if (token.length > MAX_TOKEN_LENGTH) throw new errors.JWTInvalid('token too long')
    const { alg } = decodeProtectedHeader(token)
    if (alg === 'HS256') {
      if (!secret) throw new errors.JOSEAlgNotAllowed('HS256 tokens are not accepted')
      const { payload } = await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })
      return payload as { sub: string; exp: number }
    }
    if (!jwks) throw new errors.JOSEAlgNotAllowed(`${String(alg)} tokens are not accepted`)
    try {
      const { payload } = await jwtVerify(token, jwks, { ...claims, algorithms: [...ASYMMETRIC] })
      return payload as { sub: string; exp: number }
    } catch (error) {
      throw keySetFailure(error) ? new KeysUnavailable('the JWKS could not be fetched', { cause: error }) : error
    }
  }

  return {
    remembered: (token) => verified.get(token),
    async verify(token) {
      const { sub, exp } = await check(token)
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) throw new errors.JWTClaimValidationFailed('unexpected "sub" claim value', {}, 'sub')
      const id = `user:${sub}`
      const ttl = Math.min(REMEMBER_MS, exp * 1000 - Date.now())
      if (ttl > 0) verified.set(token, id, { ttl })
      return id
    },
  }
}

/** jose's remote key set fails with a timeout, a generic error (status, JSON) or fetch's own error. */
function keySetFailure(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC'
}
