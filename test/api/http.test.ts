import helmet from '@fastify/helmet'
import Fastify from 'fastify'
import t from 'tap'
import { HELMET_OPTIONS, SECURITY_HEADERS } from '../../src/http/preset-headers.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'

const ALLOWED = 'https://www.dropstackerpro.com'
// An ordinary (not cached-GET) route that every client's budget counts.
const SEARCH = '/api/v1/products/search?q=posture%20corrector'

t.test('CORS: an allowed origin gets its grant, preflight included; another origin gets none', async (t) => {
  const { app } = await buildTestApp(t)
  const url = `/api/v1/products/${sandboxIdOfKind('strong', 500)}/validation`
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/validations',
    headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  })
  t.equal(preflight.statusCode, 204)
  t.equal(preflight.headers['access-control-allow-origin'], ALLOWED)
  t.equal(preflight.headers['access-control-allow-credentials'], 'true')
  t.match(preflight.headers['access-control-allow-methods'], /POST/)

  const allowed = await app.inject({ url, headers: { origin: ALLOWED } })
  t.equal(allowed.headers['access-control-allow-origin'], ALLOWED)
  t.match(allowed.headers['access-control-expose-headers'], /x-cache/)
  t.match(allowed.headers['cache-control'], /^private/, 'a per-origin grant is never stored by a shared cache')

  // Every route sends a precomputed grant; @fastify/cors itself answers the preflight: the same headers.
  for (const name of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers']) {
    t.ok(preflight.headers[name], `${name} from @fastify/cors`)
    t.equal(allowed.headers[name], preflight.headers[name], `${name}: the precomputed grant is identical`)
  }
  const ordinary = await app.inject({ url: '/health/live', headers: { origin: ALLOWED } })
  t.equal(ordinary.headers['access-control-allow-origin'], ALLOWED, 'an ordinary route carries the grant too')
  const hotError = await app.inject({ url: '/api/v1/products/not-a-product/validation', headers: { origin: ALLOWED } })
  t.equal(hotError.statusCode, 400)
  t.equal(hotError.headers['access-control-allow-origin'], ALLOWED, 'an error on a hot route carries the grant too')
  t.equal(hotError.headers.vary, ordinary.headers.vary, 'and the same Vary as @fastify/cors')
  const missing = await app.inject({ url: '/nothing/here', headers: { origin: ALLOWED } })
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['access-control-allow-origin'], ALLOWED, 'so does a 404, so the browser can read it')
  const hotPreflight = await app.inject({ method: 'OPTIONS', url, headers: { origin: ALLOWED, 'access-control-request-method': 'GET' } })
  t.equal(hotPreflight.statusCode, 204, 'preflight for a hot route')
  t.equal(hotPreflight.headers['access-control-allow-origin'], ALLOWED)

  const noOrigin = await app.inject({ url })
  t.equal(noOrigin.headers['access-control-allow-origin'], undefined, 'no Origin, no grant headers')
  t.equal(noOrigin.headers['access-control-allow-credentials'], undefined)

  for (const origin of ['https://evil.example', 'https://www.dropstackerpro.com.evil.example', 'null']) {
    const denied = await app.inject({ url, headers: { origin } })
    t.equal(denied.headers['access-control-allow-origin'], undefined, origin)
    const deniedPreflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/validations',
      headers: { origin, 'access-control-request-method': 'POST' },
    })
    t.equal(deniedPreflight.headers['access-control-allow-origin'], undefined, `${origin} preflight`)
  }
})

t.test('rate limit: the request over the limit gets 429 with Retry-After; a forged X-Forwarded-For does not reset it', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' } })
  const codes: number[] = []
  for (let i = 0; i < 3; i++) codes.push((await app.inject({ url: SEARCH, remoteAddress: '203.0.113.7' })).statusCode)
  t.same(codes, [200, 200, 200])
  const over = await app.inject({ url: SEARCH, remoteAddress: '203.0.113.7' })
  t.equal(over.statusCode, 429)
  t.equal(over.json().error.code, 'RATE_LIMITED')
  t.ok(Number(over.headers['retry-after']) > 0)
  const forged = await app.inject({ url: SEARCH, remoteAddress: '203.0.113.7', headers: { 'x-forwarded-for': '198.51.100.99' } })
  t.equal(forged.statusCode, 429, 'X-Forwarded-For from an untrusted peer is ignored')
  const notFound = await app.inject({ url: '/nothing-here', remoteAddress: '203.0.113.7' })
  t.equal(notFound.statusCode, 429, '404 probing is limited too')
  const other = await app.inject({ url: SEARCH, remoteAddress: '203.0.113.8' })
  t.equal(other.statusCode, 200, 'another client has its own budget')
  t.equal((await app.inject({ url: '/health/ready', remoteAddress: '203.0.113.7' })).statusCode, 200, 'health probes are not limited')
})

t.test('rate limit on the cached GETs: the same budget, and the 429 carries the usual headers', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW: '1 minute' } })
  const url = `/api/v1/products/${sandboxIdOfKind('strong', 502)}/validation`
  const client = { remoteAddress: '203.0.113.9', headers: { origin: 'http://localhost:5173' } }
  t.equal((await app.inject({ url: SEARCH, ...client })).statusCode, 200)
  const hit = await app.inject({ url, ...client })
  t.equal(hit.statusCode, 200, hit.body)
  t.equal(hit.headers['x-ratelimit-remaining'], undefined, 'no limit headers while under the limit')
  const over = await app.inject({ url, ...client })
  t.equal(over.statusCode, 429, 'the hot GET counts in the budget the ordinary route used')
  t.match(over.json(), { error: { code: 'RATE_LIMITED', message: /2 requests per window; retry in \d+ s/ } })
  t.match(over.headers, { 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'retry-after': /^\d+$/ })
  t.equal(over.headers['x-ratelimit-reset'], over.headers['retry-after'])
  for (const name of [...Object.keys(SECURITY_HEADERS), 'x-request-id', 'access-control-allow-origin']) t.ok(over.headers[name], `${name} on the 429`)
  const ipv6 = { remoteAddress: '2001:db8:1:2::7' }
  t.equal((await app.inject({ url, ...ipv6 })).statusCode, 200)
  t.equal((await app.inject({ url, ...ipv6 })).statusCode, 200)
  const sameNetwork = await app.inject({ url, remoteAddress: '2001:db8:1:2::99' })
  t.equal(sameNetwork.statusCode, 429, 'IPv6 clients share a budget per /64')
})

t.test('trusted proxy hops: the client address comes from X-Forwarded-For only through a trusted proxy', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '1', TRUST_PROXY: '127.0.0.1' } })
  const a = await app.inject({ url: SEARCH, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1' } })
  const b = await app.inject({ url: SEARCH, remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.2' } })
  t.equal(a.statusCode, 200)
  t.equal(b.statusCode, 200, 'two real clients behind our proxy are two clients')
})

t.test('security headers: the JSON-API policy, exactly what @fastify/helmet sends, on every kind of answer', async (t) => {
  const reference = Fastify()
  await reference.register(helmet, HELMET_OPTIONS)
  reference.get('/', async () => ({}))
  t.teardown(() => reference.close())
  const fromHelmet = (await reference.inject({ url: '/' })).headers
  const { app } = await buildTestApp(t)
  const answers = {
    health: await app.inject({ url: '/health/live' }),
    'hot GET': await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 501)}/validation` }),
    search: await app.inject({ url: '/api/v1/products/search?q=posture%20corrector' }),
    'POST 400': await app.inject({ method: 'POST', url: '/api/v1/validations', payload: { product: 'nope' } }),
    '404': await app.inject({ url: '/nothing/here' }),
  }
  const names = Object.keys(SECURITY_HEADERS)
  t.same(names.sort(), ['content-security-policy', 'cross-origin-resource-policy', 'referrer-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options'])
  for (const name of names) {
    t.ok(fromHelmet[name], `${name} set by @fastify/helmet`)
    for (const [label, res] of Object.entries(answers)) t.equal(res.headers[name], fromHelmet[name], `${name} on ${label}`)
  }
  for (const [label, res] of Object.entries(answers)) t.match(res.headers['x-request-id'], /^req-/, `x-request-id on ${label}`)
  for (const url of ['/health/live', `/api/v1/products/${sandboxIdOfKind('strong', 501)}/validation`, '/nothing/here']) {
    const traced = await app.inject({ url, headers: { 'x-request-id': 'trace-abc-123' } })
    t.equal(traced.headers['x-request-id'], 'trace-abc-123', `a caller's request id is echoed on ${url}`)
    const stuffed = await app.inject({ url, headers: { 'x-request-id': `${'x'.repeat(200)}<script>` } })
    t.match(stuffed.headers['x-request-id'], /^req-/, `an overlong or odd request id is replaced on ${url}`)
  }
  t.equal(SECURITY_HEADERS['content-security-policy'], "default-src 'none';frame-ancestors 'none'")
  t.equal(SECURITY_HEADERS['x-frame-options'], 'DENY')
  t.equal(SECURITY_HEADERS['referrer-policy'], 'no-referrer')
  for (const pageOnly of ['x-xss-protection', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-powered-by']) {
    t.notOk(answers['hot GET'].headers[pageOnly], `no ${pageOnly}`)
    t.notOk(fromHelmet[pageOnly], `no ${pageOnly} from helmet either`)
  }
})

