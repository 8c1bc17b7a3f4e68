import { UnsecuredJWT } from 'jose'
import t from 'tap'
import { hashApiKey } from '../../src/auth/api-keys.ts'
import { loadConfig } from '../../src/config.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'
import { isRegistryError, serve } from './http.ts'
import { HS_SECRET, ISSUER, startSigner } from './jwks-server.ts'

// AUTH_REQUIRED=true over real HTTP: API keys (only their hashes configured) and Supabase user tokens
// signed here and served from a local JWKS endpoint.

const KEY_A = 'dfk_test-key-a-0123456789abcdefghijklmnopqrstuv'
const KEY_B = 'dfk_test-key-b-0123456789abcdefghijklmnopqrstuv'
const ADMIN = 'admin-key-0123456789abcdef'
const ID = sandboxIdOfKind('strong', 7001)
const ROUTES: [string, string, string?][] = [
  ['GET', `/api/v1/products/${ID}/validation`],
  ['POST', '/api/v1/validations', JSON.stringify({ product: ID })],
  ['POST', '/api/v1/validations/batch', JSON.stringify({ products: [ID] })],
  ['GET', '/api/v1/products/search?q=lamp'],
  ['GET', `/api/v1/products/${ID}/suppliers`],
  ['GET', `/api/v1/products/${ID}/history`],
]

async function authApp(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}) {
  const signer = await startSigner(t)
  const { app } = await buildTestApp(t, {
    env: {
      AUTH_REQUIRED: 'true',
      API_KEYS: `${hashApiKey(KEY_A)}, ${hashApiKey(KEY_B).toUpperCase()}`,
      SUPABASE_JWKS_URL: signer.url,
      SUPABASE_JWT_ISSUER: ISSUER,
      SUPABASE_JWT_SECRET: HS_SECRET,
      ADMIN_API_KEY: ADMIN,
      ...env,
    },
  })
  return { app, signer, client: await serve(t, app) }
}

const call = (method: string, body?: string, headers: Record<string, string> = {}) => ({
  method,
  body,
  headers: body ? { 'content-type': 'application/json', ...headers } : headers,
})

t.test('auth is off by default: no hook, no decorator, answers as before', async (t) => {
  const { app } = await buildTestApp(t)
  t.equal(app.hasPlugin('auth'), false)
  t.equal(app.hasRequestDecorator('clientId'), false)
  const res = await app.inject({ url: `/api/v1/products/${ID}/validation` })
  t.equal(res.statusCode, 200)
})

t.test('every validation route needs a key or a token; health and preflights do not', async (t) => {
  const { client } = await authApp(t, { PERSISTENCE: 'on', PGLITE_DIR: 'memory://' })
  for (const [method, path, body] of ROUTES) {
    const none = await client.send(path, call(method, body))
    t.equal(none.status, 401, `${method} ${path} without credentials`)
    t.ok(isRegistryError(none.text), 'registry error')
    t.equal(JSON.parse(none.text).error.code, 'UNAUTHORIZED')
    t.match(none.headers['www-authenticate'], /^Bearer/)
    const wrong = await client.send(path, call(method, body, { 'x-api-key': 'dfk_not-a-key-we-issued' }))
    t.equal(wrong.status, 401, `${method} ${path} with a wrong key`)
    t.notMatch(wrong.text, /dfk_not-a-key/, 'the key is not echoed')
    const ok = await client.send(path, call(method, body, { 'x-api-key': KEY_A }))
    t.equal(ok.status, 200, `${method} ${path} with a key: ${ok.text.slice(0, 200)}`)
    t.notMatch(ok.text, new RegExp(KEY_A), 'the key is not echoed')
  }
  t.equal((await client.send('/health/live')).status, 200)
  t.equal((await client.send('/health/ready')).status, 200)
  const preflight = await client.send(`/api/v1/products/${ID}/validation`, {
    method: 'OPTIONS',
    headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key, authorization' },
  })
  t.equal(preflight.status, 204, 'a preflight carries no credentials and needs none')
  t.match(preflight.headers['access-control-allow-headers'], /x-api-key/)
  t.match(preflight.headers['access-control-allow-headers'], /authorization/)
})

t.test('a key answer is never for shared caches; a key sent in upper-case hex config works too', async (t) => {
  const { client } = await authApp(t)
  const res = await client.send(`/api/v1/products/${ID}/validation`, { headers: { 'x-api-key': KEY_B } })
  t.equal(res.status, 200)
  t.match(res.headers['cache-control'], /^private/)
  t.equal(res.headers['cdn-cache-control'], undefined)
})

t.test('user tokens: valid ones pass; expired, early, foreign, forged or odd ones are 401', async (t) => {
  const { client, signer } = await authApp(t)
  const path = `/api/v1/products/${ID}/validation`
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
  const good = await signer.token()
  const res = await client.send(path, bearer(good))
  t.equal(res.status, 200, res.text.slice(0, 200))
  t.match(res.headers['cache-control'], /^private/)
  t.equal((await client.send(path, bearer(await signer.hs256()))).status, 200, 'HS256 with the project secret')
  t.equal((await client.send(path, { headers: { authorization: `bearer  ${good}` } })).status, 200, 'scheme is case-insensitive')

  const now = Math.floor(Date.now() / 1000)
  const bad: [string, string][] = [
    ['expired', await signer.token({}, { expiresIn: now - 60 })],
    ['not yet valid', await signer.token({}, { notBefore: now + 600 })],
    ['another issuer', await signer.token({ iss: 'https://other-project.supabase.co/auth/v1' })],
    ['no issuer', await signer.token({ iss: undefined })],
    ['the anon audience', await signer.token({ aud: 'anon', role: 'anon' })],
    ['no subject', await signer.token({ sub: undefined })],
    ['signed by another key under our kid', await signer.token({}, { key: 'other' })],
    ['an unknown kid', await signer.token({}, { kid: 'key-9', key: 'other' })],
    ['HS256 with another secret', await signer.hs256({}, 'not-the-project-secret-but-long-enough-to-pass')],
    ['alg none', new UnsecuredJWT({ sub: 'x', aud: 'authenticated', iss: ISSUER }).setExpirationTime('1h').encode()],
    ['a tampered payload', tamper(good)],
    ['garbage', 'abc.def.ghi'],
    ['not a JWT', 'hello'],
    ['huge', 'a'.repeat(9000)],
  ]
  for (const [name, token] of bad) {
    const r = await client.send(path, bearer(token))
    t.equal(r.status, 401, name)
    t.ok(isRegistryError(r.text), `${name}: registry error`)
    t.notOk(r.text.includes(token.slice(-20)), `${name}: token not echoed`)
    t.notMatch(r.text, /"(exp|nbf|iss|aud|sub|kid|alg)"|claim|signature|JWKS|JWS/i, `${name}: the message does not say what was wrong with it`)
  }
  for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `Token ${good}`, `Bearer ${good} extra`]) {
    t.equal((await client.send(path, { headers: { authorization } })).status, 401, authorization.slice(0, 12))
  }
})

t.test('tokens cost one JWKS fetch; an unknown kid refetches at most once per cooldown', async (t) => {
  const { client, signer } = await authApp(t)
  const path = `/api/v1/products/${ID}/validation`
  for (let i = 0; i < 5; i++) {
    const token = await signer.token({ sub: `user-${i}` })
    t.equal((await client.send(path, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  }
  t.equal(signer.fetches(), 1, 'the key set is cached')
  for (let i = 0; i < 5; i++) {
    const token = await signer.token({}, { kid: `unknown-${i}`, key: 'other' })
    t.equal((await client.send(path, { headers: { authorization: `Bearer ${token}` } })).status, 401)
  }
  t.equal(signer.fetches(), 1, 'unknown kids within the cooldown do not reach the JWKS endpoint')
})

t.test('a JWKS endpoint that is down is a 503, not a 401: the token may be fine', async (t) => {
  const { client, signer } = await authApp(t)
  signer.setDown(true)
  const res = await client.send(`/api/v1/products/${ID}/validation`, { headers: { authorization: `Bearer ${await signer.token()}` } })
  t.equal(res.status, 503)
  t.ok(isRegistryError(res.text))
  t.equal(res.headers['retry-after'], '5')
  t.notMatch(res.text, /127\.0\.0\.1|jwks|fetch/i, 'no internal detail')
  t.equal((await client.send(`/api/v1/products/${ID}/validation`, { headers: { 'x-api-key': KEY_A } })).status, 200, 'keys still work')
})

t.test('admin routes refuse validation keys, and the admin key is not a validation key', async (t) => {
  const { client } = await authApp(t)
  t.equal((await client.send('/metrics', { headers: { 'x-api-key': KEY_A } })).status, 401, 'a validation key in x-api-key')
  t.equal((await client.send('/metrics', { headers: { 'x-admin-key': KEY_A } })).status, 401, 'a validation key in x-admin-key')
  t.equal((await client.send('/metrics', { headers: { 'x-admin-key': ADMIN } })).status, 200, 'the admin key')
  t.equal((await client.send('/api/v1/admin/stats', { headers: { 'x-api-key': KEY_A } })).status, 401, 'a validation key on the admin routes')
  t.equal((await client.send('/api/v1/admin/stats', { headers: { 'x-admin-key': ADMIN } })).status, 200, 'the admin key alone opens them')
  t.equal((await client.send(`/api/v1/products/${ID}/validation`, { headers: { 'x-api-key': ADMIN } })).status, 401, 'the admin key on a validation route')
  t.throws(() => loadConfig({ ADMIN_API_KEY: ADMIN, API_KEYS: hashApiKey(ADMIN) }), /API_KEYS must not include the hash of ADMIN_API_KEY/)
})

t.test('the rate limit counts each key and each user, and refused attempts against the address', async (t) => {
  const { client, signer } = await authApp(t, { RATE_LIMIT_MAX: '3' })
  const path = `/api/v1/products/${ID}/validation`
  const statuses = async (headers: Record<string, string>, n: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await client.send(path, { headers })).status)
    return out
  }
  t.same(await statuses({ 'x-api-key': KEY_A }, 4), [200, 200, 200, 429], 'key A has its own budget')
  t.same(await statuses({ 'x-api-key': KEY_B }, 3), [200, 200, 200], 'key B, from the same address, has another')
  const alice = await signer.token({ sub: 'alice' })
  const bob = await signer.token({ sub: 'bob' })
  t.same(await statuses({ authorization: `Bearer ${alice}` }, 4), [200, 200, 200, 429], 'a user has their own budget')
  t.same(await statuses({ authorization: `Bearer ${bob}` }, 1), [200], 'another user too')
  t.same(await statuses({ 'x-api-key': 'guess' }, 4), [401, 401, 401, 429], 'guessing keys is limited by address')
  t.same(await statuses({ 'x-api-key': 'guess', 'x-forwarded-for': '198.51.100.7' }, 1), [429], 'and a forged X-Forwarded-For does not escape it')
})

t.test('configuration: auth on needs a way in; tokens need an issuer; secrets are never printed', async (t) => {
  t.throws(() => loadConfig({ AUTH_REQUIRED: 'true' }), /AUTH_REQUIRED=true needs API_KEYS/)
  t.throws(() => loadConfig({ AUTH_REQUIRED: 'true', SUPABASE_JWT_SECRET: HS_SECRET }), /SUPABASE_JWT_ISSUER must be set/)
  t.throws(() => loadConfig({ API_KEYS: 'not-a-hash' }), /API_KEYS must be a comma-separated list of SHA-256 hashes/)
  t.throws(() => loadConfig({ SUPABASE_JWT_SECRET: 'short-secret' }), { message: /SUPABASE_JWT_SECRET must be .* \(got 12 characters\)/ })
  t.notMatch(String((() => { try { loadConfig({ SUPABASE_JWT_SECRET: 'short-secret' }) } catch (e) { return (e as Error).message } })()), /short-secret/)
  const fromProject = loadConfig({ AUTH_REQUIRED: 'true', SUPABASE_URL: 'https://abc.supabase.co/', SUPABASE_SERVICE_ROLE_KEY: 'k' })
  t.same(fromProject.auth.tokens, {
    jwksUrl: 'https://abc.supabase.co/auth/v1/.well-known/jwks.json',
    secret: undefined,
    issuer: 'https://abc.supabase.co/auth/v1',
    audience: 'authenticated',
  })
  t.equal(loadConfig({}).auth.required, false)
})

/** The same token with one claim changed and the signature kept. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  return [header, Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'), signature].join('.')
}
