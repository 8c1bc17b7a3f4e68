import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose'

// A Supabase project's signing side, for tests: an ES256 key pair whose public half a local JWKS
// endpoint serves (as <project>/auth/v1/.well-known/jwks.json does), and tokens signed with it, shaped
// as Supabase issues them to signed-in users.

export const ISSUER = 'https://test-project.supabase.co/auth/v1'
export const HS_SECRET = 'a-legacy-project-jwt-secret-of-at-least-32-chars'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Signer {
  url: string
  /** requests the JWKS endpoint has answered */
  fetches(): number
  /** 503 from now on (or again 200) */
  setDown(down: boolean): void
  token(claims?: JWTPayload, options?: { expiresIn?: string | number; notBefore?: string | number; kid?: string; key?: 'ours' | 'other' }): Promise<string>
  hs256(claims?: JWTPayload, secret?: string): Promise<string>
}

export async function startSigner(t: Teardown): Promise<Signer> {
  const ours = await generateKeyPair('ES256', { extractable: true })
  const other = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(ours.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }
  let fetches = 0
  let down = false
  const server = createServer((req, res) => {
    fetches++
    if (down || req.url !== '/auth/v1/.well-known/jwks.json') {
      res.writeHead(down ? 503 : 404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const { port } = server.address() as AddressInfo

  const base = (claims: JWTPayload) => ({ sub: 'b7c1a9d2-0000-4000-8000-000000000001', role: 'authenticated', aud: 'authenticated', iss: ISSUER, ...claims })
  return {
    url: `http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json`,
    fetches: () => fetches,
    setDown: (value) => {
      down = value
    },
    token(claims = {}, options = {}) {
      const jwt = new SignJWT(base(claims)).setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'key-1', typ: 'JWT' }).setIssuedAt()
      jwt.setExpirationTime(options.expiresIn ?? '1h')
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore)
      return jwt.sign(options.key === 'other' ? other.privateKey : ours.privateKey)
    },
    hs256(claims = {}, secret = HS_SECRET) {
      return new SignJWT(base(claims)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret))
    },
  }
}
