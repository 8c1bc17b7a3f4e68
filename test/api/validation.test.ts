import t from 'tap'
import { catalogueProduct, sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { expectedStats } from '../../src/sandbox/facebook.ts'
import { deriveKeywords } from '../../src/validation/keywords.ts'
import { buildTestApp } from '../helper.ts'

t.test('a validation reports exactly what the upstreams served', async (t) => {
  const { app, config, sandbox } = await buildTestApp(t)
  const id = sandboxIdOfKind('strong', 3)
  const now = new Date()
  const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}/validation` })
  t.equal(res.statusCode, 200, res.body)
  const v = res.json()
  const product = catalogueProduct(id)!
  t.equal(v.productId, id)
  t.equal(v.product.title, product.title)
  t.equal(v.product.price.sale, product.salePriceUsd)
  t.equal(v.product.price.currency, 'USD')
  t.equal(v.product.ordersLast30Days, product.ordersLast30Days)
  t.equal(v.product.positiveFeedbackRate, product.positiveFeedbackRate)
  t.equal(v.keywords, deriveKeywords(product.title))

  const ads = expectedStats(v.keywords, config.facebook.adCountries, now)
  t.equal(v.signals.facebook.status, 'ok')
  t.equal(v.signals.facebook.data.activeAds, ads.activeAds, 'every ad on every Graph page counted')
  t.equal(v.signals.facebook.data.advertisers, ads.advertisers)
  t.equal(v.signals.facebook.data.newAdsLast7Days, ads.newAdsLast7Days)
  t.equal(v.signals.facebook.data.medianAdAgeDays, ads.medianAdAgeDays)

  const videos = sandbox.youtube.expected(v.keywords, 'US', now)
  t.equal(v.signals.youtube.status, 'ok')
  t.same(v.signals.youtube.data, videos)

  t.equal(v.market.country, 'US')
  t.equal(v.sandbox, true)
  t.equal(v.confidence, 1)
  t.ok(v.score.total >= 0 && v.score.total <= 100)
  t.ok(['strong', 'promising', 'risky', 'avoid', 'insufficient_data'].includes(v.verdict))
  t.ok(v.reasons.length > 0)
  t.equal(res.headers['x-cache'], 'MISS')
  t.match(res.headers['server-timing'], /aliexpress;dur=[\d.]+/)
  t.match(res.headers['server-timing'], /facebook;dur=[\d.]+/)
  t.match(res.headers['server-timing'], /youtube;dur=[\d.]+/)
})

t.test('the second identical request is a HIT with zero upstream calls', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const url = `/api/v1/products/${sandboxIdOfKind('average', 1)}/validation?country=de&currency=EUR`
  const first = await app.inject({ url })
  t.equal(first.statusCode, 200)
  t.equal(first.json().market.currency, 'EUR')
  const calls = sandbox.totalCalls()
  t.ok(calls >= 3, `cold validation called the upstreams (${calls})`)
  const second = await app.inject({ url })
  t.equal(second.headers['x-cache'], 'HIT')
  t.equal(second.headers['server-timing'], 'cache;desc=hit')
  t.equal(second.body, first.body, 'same bytes')
  t.equal(sandbox.totalCalls(), calls, 'no upstream call for the hit')
})

t.test('100 concurrent identical misses make one call per source', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { sandboxOptions: { aliexpress: { latencyMs: 50 }, facebook: { latencyMs: 50 }, youtube: { latencyMs: 50 } } })
  const url = `/api/v1/products/${sandboxIdOfKind('strong', 7)}/validation`
  const replies = await Promise.all(Array.from({ length: 100 }, () => app.inject({ url })))
  t.ok(replies.every((r) => r.statusCode === 200))
  t.equal(new Set(replies.map((r) => r.json().validatedAt)).size, 1, 'one validation shared by all')
  t.equal(sandbox.aliexpress.calls.get('productdetail.get'), 1)
  t.ok(sandbox.facebook.totalCalls() >= 1 && sandbox.facebook.totalCalls() <= 4, 'one Graph query (its pages)')
  t.equal(sandbox.youtube.calls.get('search.list'), 1, 'one search.list')
  t.ok((sandbox.youtube.calls.get('videos.list') ?? 0) <= 1, 'at most one videos.list (none when the search found nothing)')
})

t.test('unknown product: 404 PRODUCT_NOT_FOUND, no Meta or YouTube call', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const res = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('unknown', 2)}/validation` })
  t.equal(res.statusCode, 404)
  t.equal(res.json().error.code, 'PRODUCT_NOT_FOUND')
  t.equal(sandbox.facebook.totalCalls() + sandbox.youtube.totalCalls(), 0)
})

t.test('POST /validations accepts an AliExpress URL and gives the same validation', async (t) => {
  const { app } = await buildTestApp(t)
  const id = sandboxIdOfKind('weak', 4)
  const byGet = await app.inject({ url: `/api/v1/products/${id}/validation` })
  const byPost = await app.inject({ method: 'POST', url: '/api/v1/validations', payload: { product: `https://es.aliexpress.com/item/${id}.html?spm=a2g0o` } })
  t.equal(byPost.statusCode, 200, byPost.body)
  t.equal(byPost.headers['x-cache'], 'HIT')
  t.same(byPost.json(), byGet.json())
})

t.test('caller keywords override the derived terms', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 1)}/validation?keywords=${encodeURIComponent('  Sunset LAMP  ')}` })
  t.equal(res.statusCode, 200)
  t.equal(res.json().keywords, 'sunset lamp')
})

t.test('with caller keywords, Meta and YouTube are asked while AliExpress is still answering', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { sandboxOptions: { aliexpress: { latencyMs: 1500 } } })
  const startedAt = Date.now()
  const answered = app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 2)}/validation?keywords=desk+lamp` })
  let done = false
  void answered.then(() => (done = true))
  while (!done && !(sandbox.youtube.calls.get('search.list') && sandbox.facebook.totalCalls())) await new Promise((r) => setTimeout(r, 5))
  const waitedMs = Date.now() - startedAt
  t.ok(waitedMs < 1000, `both were called ${waitedMs} ms in, while AliExpress (1,500 ms) was still answering`)
  const res = await answered
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().keywords, 'desk lamp')
  t.equal(sandbox.aliexpress.calls.get('productdetail.get'), 1)

  const plain = app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 4)}/validation` })
  await new Promise((r) => setTimeout(r, 300))
  t.equal(sandbox.youtube.calls.get('search.list'), 1, 'without keywords, nothing starts before the title is known')
  t.equal((await plain).statusCode, 200)
})

t.test('an unknown product with caller keywords: still a 404, and the Meta and YouTube answers are kept', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const missing = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('unknown', 3)}/validation?keywords=garden+hose` })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().error.code, 'PRODUCT_NOT_FOUND')
  t.ok(sandbox.facebook.totalCalls() > 0 && sandbox.youtube.totalCalls() > 0, 'they were asked alongside AliExpress')
  // They may still be answering: the next request with the same terms waits for them or reads their cache.
  const found = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 5)}/validation?keywords=Garden+Hose` })
  t.equal(found.statusCode, 200, found.body)
  t.equal(sandbox.youtube.calls.get('search.list'), 1, 'the search made for the unknown product served this one')
  const calls = sandbox.facebook.totalCalls() + sandbox.youtube.totalCalls()
  const third = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('average', 5)}/validation?keywords=garden%20hose` })
  t.equal(third.statusCode, 200, third.body)
  t.equal(sandbox.facebook.totalCalls() + sandbox.youtube.totalCalls(), calls, 'and stays cached for the next')
})
