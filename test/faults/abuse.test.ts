import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { hashApiKey } from '../../src/auth/api-keys.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'
import { type Answer, clientOf, isRegistryError, serve } from './http.ts'
import { rawRequest } from './raw-http.ts'

// Malformed input of every kind, generated with fast-check and sent over real HTTP: bodies, query
// strings, paths, headers, Content-Types and -Encodings, prototype-pollution keys, huge and compressed
// bodies, broken HTTP. Every answer must be a 200 (the input happened to be valid) or a 4xx in the
// registry error shape, quoting no secret and no internals; the process must stay up and its heap flat.

const ADMIN = 'abuse-admin-key-0123456789'
const ID = sandboxIdOfKind('strong', 9001)
const SECRET_MARKERS = [ADMIN, 'sandbox-app-secret', 'node_modules', '.ts:', '    at ']

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const tally = new Map<number, number>()
let tried = 0

function check(t: Test, answer: Answer | { status: number; text: string }, what: string) {
  tried++
  tally.set(answer.status, (tally.get(answer.status) ?? 0) + 1)
  const ok = answer.status === 200 || answer.status === 304 || (answer.status >= 400 && answer.status < 500 && isRegistryError(answer.text))
  if (!ok) t.fail(`${what}: ${answer.status} ${answer.text.slice(0, 300)}`)
  for (const marker of SECRET_MARKERS) {
    if (answer.text.includes(marker)) t.fail(`${what}: the answer contains ${JSON.stringify(marker)}`)
  }
  return ok
}

// Values a client might put anywhere: plausible ones, hostile ones, and anything at all.
const PRODUCTISH = fc.constantFrom(
  ID,
  `https://www.aliexpress.com/item/${ID}.html`,
  `https://aliexpress.com.evil.example/item/${ID}.html`,
  'javascript:alert(1)',
  '1'.repeat(5000),
  '',
  ' ',
  '\u0000',
  '\ud800',
  '$\u007Bjndi:ldap://x}',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
)
const KEYS = fc.oneof(
  fc.constantFrom('product', 'products', 'country', 'currency', 'keywords', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
  fc.string({ maxLength: 12 }),
)
const POLLUTION = fc.constantFrom(
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"__proto__":null}',
  '[{"__proto__":{"polluted":true}}]',
)
const VALUE_TEXT = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: PRODUCTISH.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: POLLUTION },
  { weight: 1, arbitrary: fc.array(PRODUCTISH, { maxLength: 60 }).map((v) => JSON.stringify(v)) },
)
/** JSON object text built by hand, so that __proto__ is a key and not a prototype. */
const OBJECT_TEXT = fc.array(fc.tuple(KEYS, VALUE_TEXT), { maxLength: 6 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`)
const BODY_TEXT = fc.oneof(
  { weight: 6, arbitrary: OBJECT_TEXT },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: VALUE_TEXT },
  { weight: 1, arbitrary: fc.nat({ max: 200 }).map((depth) => `${'['.repeat(depth * 20)}${']'.repeat(depth * 20)}`) },
)
const HEADER_TEXT = fc.stringMatching(/^[\x20-\x7e\t]{0,80}$/)
const CONTENT_TYPES = fc.oneof(
  fc.constantFrom(
    'application/json',
    'Application/JSON',
    'APPLICATION/JSON; CHARSET=UTF-8',
    'application/json;',
    'application/json;;',
    'application/json\t;\tcharset=utf-8',
    'application/json; charset=utf-16le',
    'application/json; charset=latin1',
    'application/json; boundary=x',
    'application/json, text/plain',
    'application/json\tx',
    'application/jsonp',
    'application/merge-patch+json',
    'text/plain',
    'text/json',
    'multipart/form-data; boundary=----x',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    '*/*',
    '',
  ),
  HEADER_TEXT,
)
const CONTENT_ENCODINGS = fc.oneof(fc.constantFrom('gzip', 'br', 'deflate', 'x-gzip', 'compress', 'zstd', 'GZIP', 'gzip, identity', 'identity, gzip', 'chunked'), HEADER_TEXT)
const ROUTES = fc.constantFrom('/api/v1/validations', '/api/v1/validations/batch')

const QUERY_PATHS = fc.constantFrom(`/api/v1/products/${ID}/validation`, '/api/v1/products/search', `/api/v1/products/${ID}/suppliers`, `/api/v1/products/${ID}/history`)
const QUERY_KEYS = fc.oneof(fc.constantFrom('q', 'page', 'pageSize', 'sort', 'country', 'currency', 'keywords', 'limit', 'before', '__proto__', 'constructor', 'q[]', 'a[b]'), fc.string({ maxLength: 10 }))
const QUERY_VALUES = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('US', 'EUR', 'lamp', '-1', '1e309', 'NaN', '0x10', '9'.repeat(400)))
const RAW_TAILS = fc.constantFrom('', '&', '%', '%zz', '%00', '%C0%AF', '%ED%A0%80', '&&&=', '=&=', '#frag', `&q=${'x'.repeat(2000)}`)
const SEGMENTS = fc.oneof(fc.string({ maxLength: 30 }).map(encodeURIComponent), fc.constantFrom('%', '%2e%2e', '..', '%2F', '%00', 'a'.repeat(300), '1005006123456789', '-1', '0'))
const HEADERS = fc.record(
  {
    'content-type': CONTENT_TYPES,
    'content-encoding': CONTENT_ENCODINGS,
    accept: HEADER_TEXT,
    'accept-encoding': HEADER_TEXT,
    'if-none-match': HEADER_TEXT,
    origin: HEADER_TEXT,
    'x-api-key': HEADER_TEXT,
    authorization: HEADER_TEXT,
    'x-forwarded-for': HEADER_TEXT,
  },
  { requiredKeys: [] },
)

async function abuseApp(t: Test, env: Record<string, string> = {}) {
  const { app } = await buildTestApp(t, { env: { ADMIN_API_KEY: ADMIN, ...env } })
  return { app, client: await serve(t, app) }
}

t.test('generated malformed input: only 200 or a 4xx in the registry shape, the process up, the heap flat', async (t) => {
  // Persistence on (in memory), so that the history route answers too; the in-process caches at their
  // smallest (1 MiB), so that what valid inputs legitimately cache cannot hide a leak in the heap figure.
  const { app, client } = await abuseApp(t, { PERSISTENCE: 'on', PGLITE_DIR: 'memory://', CACHE_MEMORY_MAX_BYTES: '1048576' })
  const port = Number(new URL(client.base).port)
  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    client.send(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })

  // Warm up every route and the caches a valid request fills, then measure from there.
  for (const path of [`/api/v1/products/${ID}/validation`, '/api/v1/products/search?q=lamp', `/api/v1/products/${ID}/suppliers`]) await client.send(path)
  await post('/api/v1/validations', JSON.stringify({ product: ID }))
  // fast-check builds some tables on first use (a binary string arbitrary, tens of MiB): before measuring.
  for (const arbitrary of [BODY_TEXT, QUERY_VALUES, QUERY_KEYS, SEGMENTS, HEADERS]) fc.sample(arbitrary as fc.Arbitrary<unknown>, 10)
  gc()
  const heapBefore = process.memoryUsage().heapUsed

  await fc.assert(
    fc.asyncProperty(ROUTES, BODY_TEXT, async (path, body) => check(t, await post(path, body), `POST ${path} ${body.slice(0, 80)}`)),
    { numRuns: 200 },
  )
  await fc.assert(
    fc.asyncProperty(ROUTES, fc.uint8Array({ maxLength: 4096 }), async (path, bytes) => check(t, await post(path, Buffer.from(bytes)), `POST ${path} bytes`)),
    { numRuns: 40 },
  )
  await fc.assert(
    fc.asyncProperty(QUERY_PATHS, fc.array(fc.tuple(QUERY_KEYS, QUERY_VALUES), { maxLength: 5 }), RAW_TAILS, async (path, pairs, tail) => {
      const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') + tail
      return check(t, await client.send(`${path}?${query}`), `GET ${path}?${query.slice(0, 80)}`)
    }),
    { numRuns: 160 },
  )
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('validation', 'suppliers', 'history', ''), SEGMENTS, async (leaf, segment) => {
      const path = `/api/v1/products/${segment}/${leaf}`
      return check(t, await client.send(path), `GET ${path.slice(0, 80)}`)
    }),
    { numRuns: 60 },
  )
  await fc.assert(
    fc.asyncProperty(ROUTES, HEADERS, fc.constantFrom(JSON.stringify({ product: ID }), JSON.stringify({ products: [ID] })), async (path, headers, body) => {
      const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''))
      return check(t, await client.send(path, { method: 'POST', body, headers: clean }), `POST ${path} ${JSON.stringify(clean).slice(0, 160)}`)
    }),
    { numRuns: 100 },
  )

  // Huge and compressed bodies: over the limit as sent, under it but a bomb once decoded, and
  // compressed bodies presented as plain JSON.
  const zeros = Buffer.alloc(64 * 1024 * 1024, 0x20)
  const bombs = {
    gzip: gzipSync(zeros, { level: 9 }),
    br: brotliCompressSync(zeros, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
    deflate: deflateSync(zeros, { level: 9 }),
  }
  t.ok(bombs.gzip.length < 100_000 && bombs.br.length < 10_000, `bombs: gzip ${bombs.gzip.length} B, br ${bombs.br.length} B for 64 MiB`)
  // Encoded bodies are refused before a byte is decoded (415); the same bytes sent as plain JSON are
  // read (at most 64 KiB) and are not JSON (400); bodies over 64 KiB are 413.
  const heavy: [string, Buffer, Record<string, string>, number][] = [
    ['64 KiB + 1 of JSON', Buffer.from(JSON.stringify({ product: ID, keywords: 'x'.repeat(65_536) })), {}, 413],
    ['1 MiB of JSON', Buffer.from(JSON.stringify({ products: Array(20_000).fill(ID) })), {}, 413],
    ['gzip bomb', bombs.gzip, { 'content-encoding': 'gzip' }, 415],
    ['brotli bomb', bombs.br, { 'content-encoding': 'br' }, 415],
    ['deflate bomb', bombs.deflate, { 'content-encoding': 'deflate' }, 415],
    ['gzip bomb as plain JSON', bombs.gzip, {}, 400],
    ['brotli bomb as plain JSON', bombs.br, {}, 400],
    ['small gzip JSON', gzipSync(JSON.stringify({ product: ID })), { 'content-encoding': 'gzip' }, 415],
  ]
  for (const [name, body, headers, status] of heavy) {
    for (const path of ['/api/v1/validations', '/api/v1/validations/batch']) {
      const started = performance.now()
      const answer = await post(path, body, headers)
      check(t, answer, name)
      t.equal(answer.status, status, `${name} to ${path}`)
      if (status === 415) t.equal(answer.headers['accept-encoding'], 'identity', `${name}: says what is accepted`)
      t.ok(performance.now() - started < 2_000, `${name}: answered in ${Math.round(performance.now() - started)} ms`)
    }
  }

  // Broken HTTP, written to the socket: Node's parser answers these before Fastify sees them.
  const broken = [
    'GARBAGE\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nNo-Colon-Here\r\n\r\n',
    `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    'POST /api/v1/validations HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /api/v1/validations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'POST /api/v1/validations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
    'POST /api/v1/validations HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
    'GET /health HTTP/1.1\r\nHost: x\r\nX-Injected: a\rb\r\n\r\n',
    'BREW /api/v1/validations HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET /health HTTP/9.9\r\nHost: x\r\n\r\n',
  ]
  for (const bytes of broken) {
    const answer = await rawRequest(port, bytes)
    check(t, { status: answer.status, text: answer.body }, JSON.stringify(bytes.slice(0, 60)))
    t.ok([400, 431].includes(answer.status), `${JSON.stringify(bytes.slice(0, 60))}: ${answer.status}`)
  }

  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  t.equal((await client.send('/health/live')).status, 200, 'the process still answers')
  gc()
  const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024
  t.ok(grownMiB < 16, `heap after vs before, after GC: ${grownMiB.toFixed(1)} MiB`)
  const statuses = [...tally.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}: ${n}`)
  t.comment(`abuse suite: ${tried} inputs; answers ${statuses.join(', ')}; heap ${grownMiB >= 0 ? '+' : ''}${grownMiB.toFixed(1)} MiB`)
  t.ok(tried >= 500, `${tried} inputs tried`)
  await app.close()
})

t.test('with auth on, any credential we did not issue is a 401 in the registry shape', async (t) => {
  const key = 'dfk_abuse-suite-key-0123456789abcdef'
  const { client } = await abuseApp(t, { AUTH_REQUIRED: 'true', API_KEYS: hashApiKey(key), SUPABASE_JWT_SECRET: 'x'.repeat(40), SUPABASE_JWT_ISSUER: 'https://p.supabase.co/auth/v1' })
  const CREDENTIALS = fc.oneof(
    fc.record({ 'x-api-key': HEADER_TEXT.filter((v) => v.trim() !== '' && v.trim() !== key) }),
    fc.record({ authorization: HEADER_TEXT.filter((v) => v.trim() !== '') }),
    fc.record({ authorization: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{0,90}$/).map((jwt) => `Bearer ${jwt}`) }),
    fc.constant({}),
  )
  await fc.assert(
    fc.asyncProperty(CREDENTIALS, async (headers: Record<string, string>) => {
      const answer = await client.send(`/api/v1/products/${ID}/validation`, { headers })
      check(t, answer, JSON.stringify(headers).slice(0, 120))
      for (const value of Object.values(headers)) {
        if (value.trim().length >= 8 && answer.text.includes(value.trim())) t.fail(`the credential is echoed: ${value}`)
      }
      return answer.status === 401
    }),
    { numRuns: 100 },
  )
})

t.test('a client cannot escape the rate limit with its own X-Forwarded-For, with or without a trusted proxy', async (t) => {
  const { client: direct } = await abuseApp(t, { RATE_LIMIT_MAX: '5' })
  const forged = await fc.sample(fc.ipV4(), 8)
  const statuses: number[] = []
  // Health probes are not limited; an unknown path counts like any request.
  for (const ip of forged) statuses.push((await direct.send('/no/such/path', { headers: { 'x-forwarded-for': ip } })).status)
  t.same(statuses, [404, 404, 404, 404, 404, 429, 429, 429], 'TRUST_PROXY=false: X-Forwarded-For is not read')

  // A proxy on 127.0.0.2 appends the address it was reached from, as a load balancer does.
  const { client: api } = await abuseApp(t, { RATE_LIMIT_MAX: '5', TRUST_PROXY: '127.0.0.2' })
  const apiPort = Number(new URL(api.base).port)
  const proxy = createServer((req, res) => {
    const forwarded = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ')
    const upstream = httpRequest({ host: '127.0.0.1', port: apiPort, localAddress: '127.0.0.2', method: req.method, path: req.url, headers: { ...req.headers, 'x-forwarded-for': forwarded } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.teardown(() => new Promise((resolve) => proxy.close(resolve)))
  const viaProxy = clientOf(t, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)
  const from3: number[] = []
  for (const ip of forged) from3.push((await viaProxy.send('/no/such/path', { headers: { 'x-forwarded-for': ip }, localAddress: '127.0.0.3' })).status)
  t.same(from3, [404, 404, 404, 404, 404, 429, 429, 429], 'behind the trusted proxy, the client is the address the proxy saw')
  t.equal((await viaProxy.send('/no/such/path', { localAddress: '127.0.0.4' })).status, 404, 'another client behind the proxy has its own budget')
})
