import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createStore } from '../../src/store/index.ts'
import { createSupabaseStore } from '../../src/store/supabase.ts'
import { runStoreConformance } from './conformance.ts'
import { makeValidation, newProductId, sharedPglite } from './helpers.ts'
import { json, preferOf, type Recorded, startPostgrest } from './postgrest.ts'
import { sqlPostgrest } from './postgrest-sql.ts'

// There is no PostgREST here. supabase-js runs for real against a local HTTP server (./postgrest.ts)
// that records each request. The conformance suite has it answered with real SQL on PGlite, translated
// as PostgREST documents (./postgrest-sql.ts), under the service role: the same cases as the SQL stores.
// The tests after it answer with canned replies to pin what goes over the wire (paths, query strings,
// Prefer headers, the key in headers only) and how errors, hangs and dead servers are reported.
// NOT verified: that a real PostgREST/Supabase accepts these requests exactly as the stand-in does, and
// Supabase's mapping of its keys to roles.

const KEY = 'test-service-role-key-0123456789abcdef'

const db = await sharedPglite(t)

t.test('Supabase store conformance (supabase-js against PostgREST over PGlite)', async (t) => {
  const server = await startPostgrest(t, sqlPostgrest(db, { keys: { [KEY]: 'service_role' } }))
  runStoreConformance(t, () => createSupabaseStore({ url: server.url, serviceRoleKey: KEY }))
})

t.test('with the anon key the migration lets PostgREST read but refuses every write', async (t) => {
  const ANON = 'test-anon-key-0123456789abcdef'
  const server = await startPostgrest(t, sqlPostgrest(db, { keys: { [KEY]: 'service_role', [ANON]: 'anon' } }))
  const service = createSupabaseStore({ url: server.url, serviceRoleKey: KEY })
  const anon = createSupabaseStore({ url: server.url, serviceRoleKey: ANON })
  const v = makeValidation()
  await service.saveValidations([v])
  t.same(await anon.latestValidation(v.productId, v.market, new Date()), v, 'the read policy lets anon read')
  const err = await anon.saveValidations([makeValidation()]).catch((e: unknown) => e)
  t.match(err, { name: 'StoreError', code: '42501', message: /permission denied for table products/ })
  t.equal(server.requests.at(-1)?.path, '/rest/v1/products', 'refused at the first table')
  const ranking = await anon.popularProducts({ since: new Date(0), limit: 1 }).catch((e: unknown) => e)
  t.match(ranking, { name: 'StoreError', code: '42501', message: /permission denied for function popular_products/ }, 'only the service role ranks')
})

t.test('saveValidations: products then validations, as PostgREST bulk upserts', async (t) => {
  const server = await startPostgrest(t)
  const store = createSupabaseStore({ url: server.url, serviceRoleKey: KEY })
  t.teardown(() => store.close())
  const productId = newProductId()
  const a = makeValidation({ productId, validatedAt: new Date('2025-03-01T12:00:00.000Z') })
  const b = makeValidation({ productId, validatedAt: new Date('2025-03-01T11:00:00.000Z'), country: 'DE', currency: 'EUR' })
  await store.saveValidations([a, b, a])

  t.equal(server.requests.length, 2)
  const [products, validations] = server.requests as [Recorded, Recorded]
  t.equal(products.method, 'POST')
  t.equal(products.path, '/rest/v1/products')
  t.equal(products.query.get('on_conflict'), 'product_id')
  t.same(preferOf(products).sort(), ['missing=default', 'resolution=merge-duplicates'])
  t.same(products.body, [
    {
      product_id: productId,
      title: a.product.title,
      image_url: a.product.imageUrl,
      category: a.product.category,
      shop_id: a.product.shop.id,
      first_validated_at: b.validatedAt,
      last_validated_at: a.validatedAt,
    },
  ])

  t.equal(validations.method, 'POST')
  t.equal(validations.path, '/rest/v1/validations')
  t.equal(validations.query.get('on_conflict'), 'product_id,country,currency,validated_at')
  t.same(preferOf(validations).sort(), ['missing=default', 'resolution=ignore-duplicates'], 'duplicates ignored, no representation asked back')
  t.equal(
    validations.query.get('columns'),
    '"product_id","country","currency","score","components","verdict","confidence","signals","payload","scoring_version","validated_at","expires_at"',
  )
  const rows = validations.body as Record<string, unknown>[]
  t.equal(rows.length, 2, 'the duplicate in the batch is sent once')
  t.same(rows[0], {
    product_id: productId,
    country: 'US',
    currency: 'USD',
    score: 64,
    components: a.score.components,
    verdict: 'promising',
    confidence: a.confidence,
    signals: a.signals,
    payload: a,
    scoring_version: '2025.1',
    validated_at: a.validatedAt,
    expires_at: a.expiresAt,
  })

  for (const req of server.requests) {
    t.equal(req.headers.apikey, KEY, 'the key goes in the apikey header')
    t.equal(req.headers.authorization, `Bearer ${KEY}`, 'and as the bearer token')
    t.notMatch(`${req.path}?${req.query}`, KEY, 'never in the URL')
    t.equal(req.headers['content-type'], 'application/json')
  }
})

t.test('latestValidation: filters, newest first, one row; the payload is the answer', async (t) => {
  const v = makeValidation()
  const server = await startPostgrest(t, (_req, res) => json(res, 200, [{ payload: v }]))
  const store = createSupabaseStore({ url: server.url, serviceRoleKey: KEY })
  const now = new Date('2025-03-01T12:00:00.000Z')
  t.same(await store.latestValidation(v.productId, v.market, now, '2025.1'), v)
  const req = server.requests[0]!
  t.equal(req.method, 'GET')
  t.equal(req.path, '/rest/v1/validations')
  t.same(Object.fromEntries(req.query), {
    select: 'payload',
    product_id: `eq.${v.productId}`,
    country: 'eq.US',
    currency: 'eq.USD',
    expires_at: `gt.${now.toISOString()}`,
    scoring_version: 'eq.2025.1',
    order: 'validated_at.desc',
    limit: '1',
  })

  server.answer((_req, res) => json(res, 200, []))
  t.equal(await store.latestValidation(v.productId, v.market, now), undefined, 'an empty array is no validation')
  t.notOk(server.requests[1]!.query.has('scoring_version'), 'no version filter unless asked')
})

t.test('history: market filter, cursor, order and limit + 1; a full page has a next cursor', async (t) => {
  const productId = newProductId()
  const rows = [0, 1, 2].map((i) => {
    const v = makeValidation({ productId, validatedAt: new Date(Date.parse('2025-03-01T12:00:00.000Z') - i * 3_600_000) })
    // PostgREST renders timestamptz as +00:00 with microseconds, not as JavaScript does.
    return {
      country: 'DE',
      currency: 'EUR',
      validated_at: v.validatedAt.replace('.000Z', '+00:00'),
      expires_at: v.expiresAt.replace('.000Z', '+00:00'),
      verdict: v.verdict,
      scoring_version: v.scoringVersion,
      score: v.score,
      confidence: v.confidence,
    }
  })
  const server = await startPostgrest(t, (_req, res) => json(res, 200, rows))
  const store = createSupabaseStore({ url: server.url, serviceRoleKey: KEY })
  const page = await store.history({ productId, country: 'DE', currency: 'EUR', limit: 2, before: '2025-03-02T00:00:00Z' })
  t.same(Object.fromEntries(server.requests[0]!.query), {
    select: 'country,currency,validated_at,expires_at,verdict,scoring_version,score:payload->score,confidence:payload->confidence',
    product_id: `eq.${productId}`,
    country: 'eq.DE',
    currency: 'eq.EUR',
    validated_at: 'lt.2025-03-02T00:00:00.000Z',
    order: 'validated_at.desc,country.desc,currency.desc',
    limit: '3',
  })
  t.same(
    page.items.map((i) => i.validatedAt),
    ['2025-03-01T12:00:00.000Z', '2025-03-01T11:00:00.000Z'],
  )
  t.same(page.items[0]!.market, { country: 'DE', currency: 'EUR' })
  t.equal(page.items[0]!.score, 64)
  t.equal(page.nextBefore, '2025-03-01T11:00:00.000Z')
})

t.test('popularProducts: one POST to the function with named arguments; rows as PostgREST renders them', async (t) => {
  const productId = newProductId()
  const server = await startPostgrest(t, (_req, res) =>
    json(res, 200, [{ product_id: productId, country: 'DE', currency: 'EUR', validations: 7, last_validated_at: '2025-03-01T12:00:00.123456+00:00' }]),
  )
  const store = createSupabaseStore({ url: server.url, serviceRoleKey: KEY })
  const top = await store.popularProducts({ since: new Date('2025-02-22T00:00:00Z'), limit: 5, country: 'DE', currency: 'EUR' })
  t.equal(server.requests.length, 1)
  const [call] = server.requests as [Recorded]
  t.equal(call.method, 'POST')
  t.equal(call.path, '/rest/v1/rpc/popular_products')
  t.equal([...call.query.keys()].length, 0, 'no query string')
  t.same(call.body, { since: '2025-02-22T00:00:00.000Z', max_rows: 5, only_country: 'DE', only_currency: 'EUR' })
  t.same(top, [{ productId, market: { country: 'DE', currency: 'EUR' }, validations: 7, lastValidatedAt: '2025-03-01T12:00:00.123Z' }])

  await store.popularProducts({ since: new Date('2025-02-22T00:00:00Z'), limit: 5 })
  t.same(server.requests[1]!.body, { since: '2025-02-22T00:00:00.000Z', max_rows: 5, only_country: null, only_currency: null }, 'every market')
})

t.test('a PostgREST error becomes a StoreError with its SQLSTATE and without the key', async (t) => {
  const server = await startPostgrest(t, (_req, res) =>
    json(res, 409, {
      code: '23505',
      details: 'Key (product_id)=(1) already exists.',
      hint: null,
      message: 'duplicate key value violates unique constraint "products_pkey"',
    }),
  )
  const store = createSupabaseStore({ url: server.url, serviceRoleKey: KEY })
  const err = await store.saveValidations([makeValidation()]).catch((e: unknown) => e)
  t.match(err, { name: 'StoreError', code: '23505', permanent: true, message: /duplicate key value/ })
  t.equal(server.requests.length, 1, 'validations are not sent when products failed')

  server.answer((_req, res) => json(res, 500, { code: 'XX000', message: `internal error near ${KEY}`, details: null, hint: null }))
  const internal = await store.latestValidation(newProductId(), { country: 'US', currency: 'USD' }, new Date()).catch((e: unknown) => e)
  t.match(internal, { name: 'StoreError', code: 'XX000', permanent: false })
  t.notMatch((internal as Error).message, KEY, 'the key is redacted even when an error quotes it')
  t.match((internal as Error).message, /\[redacted\]/)
  t.equal(server.requests.length, 2, 'no retry of its own: the caller decides')
})

t.test('a hung server is abandoned at the deadline', async (t) => {
  const server = await startPostgrest(t, () => {
    // never answers
  })
  const store = createSupabaseStore({ url: server.url, serviceRoleKey: KEY, timeoutMs: 300 })
  const started = performance.now()
  const err = await store.ping().catch((e: unknown) => e)
  const elapsed = performance.now() - started
  t.match(err, { name: 'StoreError', permanent: false, message: /TimeoutError/ })
  t.notMatch((err as Error).message, KEY)
  t.ok(elapsed >= 250 && elapsed < 2_000, `aborted after ${Math.round(elapsed)} ms`)
})

t.test('an unreachable server is a StoreError without the key', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  probe.close()
  await once(probe, 'close')
  const store = createSupabaseStore({ url: `http://127.0.0.1:${port}`, serviceRoleKey: KEY, timeoutMs: 2_000 })
  const err = await store.saveValidations([makeValidation()]).catch((e: unknown) => e)
  t.match(err, { name: 'StoreError', permanent: false, message: /fetch failed/ })
  t.notMatch((err as Error).message, KEY)
})

t.test('createStore picks supabase-js for the supabase persistence', async (t) => {
  const server = await startPostgrest(t, (_req, res) => json(res, 200, []))
  const store = await createStore({ kind: 'supabase', url: server.url, serviceRoleKey: KEY })
  t.teardown(() => store?.close())
  t.equal(store?.kind, 'supabase')
  await store!.ping()
  t.equal(server.requests[0]!.path, '/rest/v1/validations')
})
