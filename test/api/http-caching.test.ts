import { setTimeout as sleep } from 'node:timers/promises'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import t from 'tap'
import { cacheKeys } from '../../src/validation/source-cache.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'

t.test('ETag and 304: per-encoding strong ETags, Last-Modified, If-None-Match', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const url = `/api/v1/products/${sandboxIdOfKind('strong', 600)}/validation`
  const plain = await app.inject({ url })
  const gzip = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } })
  const br = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } })
  t.match(plain.headers.etag, /^"[\w-]+"$/)
  t.equal(gzip.headers.etag, `${String(plain.headers.etag).slice(0, -1)}-gz"`)
  t.equal(br.headers.etag, `${String(plain.headers.etag).slice(0, -1)}-br"`)
  t.equal(gzip.headers['content-encoding'], 'gzip')
  t.equal(br.headers['content-encoding'], 'br')
  t.equal(plain.headers['content-encoding'], undefined)
  t.equal(gunzipSync(gzip.rawPayload).toString(), plain.body, 'gzip bytes decode to the identity body')
  t.equal(brotliDecompressSync(br.rawPayload).toString(), plain.body, 'brotli bytes decode to the identity body')
  t.ok(Date.parse(String(plain.headers['last-modified'])) > 0)

  const again = await app.inject({ url, headers: { 'accept-encoding': 'br' } })
  t.same(again.rawPayload, br.rawPayload, 'prepared brotli bytes served unchanged')

  const calls = sandbox.totalCalls()
  for (const tag of [plain.headers.etag, gzip.headers.etag, `W/${plain.headers.etag}`, `"nope", ${br.headers.etag}`]) {
    const notModified = await app.inject({ url, headers: { 'if-none-match': String(tag) } })
    t.equal(notModified.statusCode, 304, `If-None-Match ${tag}`)
    t.equal(notModified.body, '')
    t.ok(notModified.headers.etag)
  }
  const changed = await app.inject({ url, headers: { 'if-none-match': '"something-else"' } })
  t.equal(changed.statusCode, 200)
  t.equal(sandbox.totalCalls(), calls, 'no upstream call to answer 304s')
})

t.test('header policy per route', async (t) => {
  const { app } = await buildTestApp(t)
  const id = sandboxIdOfKind('average', 601)
  const validation = await app.inject({ url: `/api/v1/products/${id}/validation` })
  const cc = String(validation.headers['cache-control'])
  t.match(cc, /^public, max-age=60, s-maxage=\d+, stale-while-revalidate=60, stale-if-error=3600$/)
  const sMaxAge = Number(/s-maxage=(\d+)/.exec(cc)![1])
  t.ok(sMaxAge > 86_000 && sMaxAge <= 86_400, `shared caches keep it until it expires (${sMaxAge} s)`)
  t.match(validation.headers['cdn-cache-control'], /^max-age=\d+, stale-while-revalidate=3600, stale-if-error=3600$/)
  t.equal(validation.headers.vary, 'Origin, Accept-Encoding')

  const crossOrigin = await app.inject({ url: `/api/v1/products/${id}/validation`, headers: { origin: 'http://localhost:5173' } })
  t.match(crossOrigin.headers['cache-control'], /^private/)
  t.equal(crossOrigin.headers['cdn-cache-control'], undefined)

  const search = await app.inject({ url: '/api/v1/products/search?q=led%20strip%20lights' })
  t.equal(search.statusCode, 200, search.body)
  t.match(search.headers['cache-control'], /s-maxage=(3[0-5]\d\d|3600)\b/, 'search: shared caches keep it up to 1 hour')
  t.ok(search.headers.etag)

  const post = await app.inject({ method: 'POST', url: '/api/v1/validations', payload: { product: id } })
  t.equal(post.headers['cache-control'], 'no-store')
  const batch = await app.inject({ method: 'POST', url: '/api/v1/validations/batch', payload: { products: [id] } })
  t.equal(batch.headers['cache-control'], 'no-store')
})

t.test('stale-while-revalidate through the API: STALE at once, one refresh, then fresh', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: { CACHE_TTL_VALIDATION: '1s', CACHE_STALE_GRACE: '1h' } })
  const id = sandboxIdOfKind('strong', 602)
  const url = `/api/v1/products/${id}/validation`
  const first = await app.inject({ url })
  t.equal(first.headers['x-cache'], 'MISS')
  await sleep(1_100)
  sandbox.resetCalls()
  const stale = await Promise.all(Array.from({ length: 20 }, () => app.inject({ url })))
  t.ok(stale.every((r) => r.headers['x-cache'] === 'STALE' && r.statusCode === 200), 'served stale at once')
  // Stale here: no freshness for browsers or CDN-Cache-Control, but s-maxage stays 1 (src/http/cached-get.ts).
  t.match(stale[0]!.headers['cache-control'], /^public, max-age=0, s-maxage=1, stale-while-revalidate=60, stale-if-error=3600$/)
  t.match(stale[0]!.headers['cdn-cache-control'], /^max-age=0, /)
  await app.cache.idle()
  t.equal(sandbox.aliexpress.calls.get('productdetail.get'), 1, 'exactly one background refresh')
  const fresh = await app.inject({ url })
  t.equal(fresh.headers['x-cache'], 'HIT')
  t.not(fresh.json().validatedAt, first.json().validatedAt, 'the refreshed validation')

  await sleep(1_100)
  // Without its AliExpress answer in cache the refresh has to call AliExpress, which now fails.
  await app.cache.delete(cacheKeys(true).aliexpress(id, { country: 'US', currency: 'USD' }))
  sandbox.aliexpress.setBehaviour({ fault: 'http503', faultRate: 1 })
  const staleAgain = await app.inject({ url })
  t.equal(staleAgain.headers['x-cache'], 'STALE')
  await app.cache.idle()
  const kept = await app.inject({ url })
  t.equal(kept.statusCode, 200, 'a failed refresh keeps the stale entry')
  t.equal(kept.headers['x-cache'], 'STALE')
  t.equal(kept.json().validatedAt, fresh.json().validatedAt)
})
