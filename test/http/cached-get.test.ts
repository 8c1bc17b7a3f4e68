import t from 'tap'
import { CACHED_GET, createCachedGet } from '../../src/http/cached-get.ts'
import { createWindowBudget } from '../../src/http/window-budget.ts'
import { buildTestApp } from '../helper.ts'

// A new cached GET needs only its handler lines: here a route of the test's own, on the real app,
// answered by a loader that counts its calls, gets everything the product routes get.

t.test('a new cached GET route: HIT after MISS, ETag and 304, encodings, caching headers, Server-Timing', async (t) => {
  const { app } = await buildTestApp(t)
  let loads = 0
  const storedAt = Date.now()
  const cachedGet = createCachedGet({
    prepared: app.prepared,
    staleGraceMs: 60_000,
    refreshBudget: createWindowBudget({ max: 1, windowMs: 60_000, what: 'Refresh budget' }),
  })
  app.get('/test/cached/:name', CACHED_GET, function testHandler(request, reply) {
    const { name } = request.params as { name: string }
    return cachedGet(request, reply, `test:${name}`, async () => {
      loads++
      return { value: { hello: name, padding: 'x'.repeat(2000) }, status: 'MISS', entry: { storedAt, freshUntil: storedAt + 60_000, staleUntil: storedAt + 120_000 }, timings: [{ name: 'work', durMs: 1.5 }] }
    })
  })

  const miss = await app.inject({ url: '/test/cached/a' })
  t.equal(miss.statusCode, 200)
  t.same(miss.json(), { hello: 'a', padding: 'x'.repeat(2000) })
  t.equal(miss.headers['x-cache'], 'MISS')
  t.equal(miss.headers['server-timing'], 'work;dur=1.5')
  t.match(miss.headers['cache-control'], /^public, max-age=\d+, s-maxage=\d+/)
  t.ok(miss.headers['content-security-policy'] && miss.headers['x-request-id'], 'the preset headers too')
  const hit = await app.inject({ url: '/test/cached/a' })
  t.same([hit.headers['x-cache'], hit.headers['server-timing'], loads], ['HIT', 'cache;desc=hit', 1])
  const br = await app.inject({ url: '/test/cached/a', headers: { 'accept-encoding': 'br' } })
  t.equal(br.headers['content-encoding'], 'br')
  t.not(br.headers.etag, hit.headers.etag, 'each encoding its own ETag')
  const notModified = await app.inject({ url: '/test/cached/a', headers: { 'if-none-match': String(hit.headers.etag) } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  const refreshed = await app.inject({ url: '/test/cached/a', headers: { 'cache-control': 'no-cache' } })
  t.same([refreshed.headers['x-cache'], loads], ['BYPASS', 2], 'a refresh calls the loader')
  t.equal((await app.inject({ url: '/test/cached/b', headers: { origin: 'http://localhost:5173' } })).headers['cache-control']?.startsWith('private'), true)
  t.equal(loads, 3)
})
