import t from 'tap'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'

const KEY = 'admin-key-for-tests-0123456789'

t.test('/metrics needs the admin key', async (t) => {
  const off = await buildTestApp(t)
  t.equal((await off.app.inject({ url: '/metrics' })).statusCode, 403, 'no ADMIN_API_KEY: disabled')
  const { app } = await buildTestApp(t, { env: { ADMIN_API_KEY: KEY } })
  const none = await app.inject({ url: '/metrics' })
  t.equal(none.statusCode, 401)
  t.equal(none.json().error.code, 'UNAUTHORIZED')
  t.equal((await app.inject({ url: '/metrics', headers: { 'x-admin-key': `${KEY}x` } })).statusCode, 401)
})

t.test('metrics count requests by route, upstream calls by source and outcome, cache lookups; no credentials', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: { ADMIN_API_KEY: KEY } })
  sandbox.youtube.setBehaviour({ fault: 'http503', faultRate: 1 })
  await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 700)}/validation` })
  await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 700)}/validation` })
  await app.inject({ url: '/nothing/here' })
  await app.inject({ method: 'OPTIONS', url: '/api/v1/validations', headers: { origin: 'https://www.dropstackerpro.com', 'access-control-request-method': 'POST' } })
  const res = await app.inject({ url: '/metrics', headers: { 'x-admin-key': KEY } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  const validation = 'method="GET",route="/api/v1/products/:productId/validation",status="200"'
  t.ok(res.body.includes(`dropforge_http_request_seconds_count{${validation}} 2\n`), 'two validations counted')
  t.ok(res.body.includes(`dropforge_http_request_seconds_bucket{${validation},le="+Inf"} 2\n`), 'the +Inf bucket holds them all')
  const buckets = [...res.body.matchAll(/dropforge_http_request_seconds_bucket\{method="GET",route="\/api\/v1\/products\/:productId\/validation",status="200",le="([^"]+)"\} (\d+)/g)]
  t.equal(buckets.length, 13, 'twelve bounds and +Inf')
  t.same(
    buckets.map((b) => Number(b[2])),
    buckets.map((b) => Number(b[2])).sort((a, b) => a - b),
    'buckets are cumulative',
  )
  t.match(res.body, /dropforge_http_request_seconds_sum\{method="GET",route="\/api\/v1\/products\/:productId\/validation",status="200"\} \d/)
  t.match(res.body, /# TYPE dropforge_http_request_seconds histogram/)
  t.ok(res.body.includes('dropforge_http_request_seconds_count{method="GET",route="unknown",status="404"} 1\n'), 'a 404 is counted')
  t.ok(res.body.includes('dropforge_http_request_seconds_count{method="OPTIONS",route="*",status="204"} 1\n'), 'a preflight is counted')
  // productdetail.get, then the freight API's ds.product.get and ds.freight.query: all AliExpress.
  t.match(res.body, /dropforge_upstream_calls_total\{source="aliexpress",outcome="200"\} 3\n/)
  t.match(res.body, /dropforge_upstream_calls_total\{source="youtube",outcome="503"\} 1/)
  t.match(res.body, /dropforge_cache_events\{outcome="misses"\} \d+/)
  t.ok(res.body.includes('dropforge_source_circuit{source="youtube"} 0\n'), 'circuits per source')
  t.match(res.body, /dropforge_source_budget_used\{source="youtube",budget="searches"\} [1-9]\d*\n/, 'retries are billed too')
  t.match(res.body, /dropforge_source_budget_limit\{source="youtube",budget="units"\} \d+/)
  t.ok(res.body.includes('dropforge_source_paused_seconds{source="facebook"} 0\n'))
  t.match(res.body, /nodejs_eventloop_lag_seconds/)
  for (const secret of [SANDBOX_CREDENTIALS.aliexpress.appSecret, SANDBOX_CREDENTIALS.facebook.accessToken, SANDBOX_CREDENTIALS.youtube.apiKey, KEY]) {
    t.notOk(res.body.includes(secret), 'no credential in metrics')
  }
})

t.test('metrics series move with hits, misses, an invalidation and an upstream failure', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: { ADMIN_API_KEY: KEY } })
  const headers = { 'x-admin-key': KEY }
  const scrape = async () => {
    const body = (await app.inject({ url: '/metrics', headers })).body
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}()".=,:/]/g, '\\$&')} (\\S+)$`, 'm').exec(body)?.[1] ?? Number.NaN)
    return {
      misses: value('dropforge_cache_events{outcome="misses"}'),
      hits: value('dropforge_cache_events{outcome="hits"}'),
      foundInMemory: value('dropforge_cache_layer_hits{layer="memory"}'),
      preparedEntries: value('dropforge_cache_entries{layer="prepared"}'),
      youtube503: value('dropforge_upstream_calls_total{source="youtube",outcome="503"}'),
      youtubeUnitsUsed: value('dropforge_source_budget_used{source="youtube",budget="units"}'),
      circuit: value('dropforge_source_circuit{source="aliexpress"}'),
      body,
    }
  }
  const id = sandboxIdOfKind('strong', 720)
  const url = `/api/v1/products/${id}/validation`
  const before = await scrape()
  t.equal(before.circuit, 0, 'circuits start closed')
  await app.inject({ url })
  const afterMiss = await scrape()
  t.ok(afterMiss.misses > before.misses || Number.isNaN(before.misses), 'a miss is counted')
  t.equal(afterMiss.preparedEntries, 1, 'its answer is prepared')
  t.ok(afterMiss.youtubeUnitsUsed > 0, 'YouTube units were spent')
  // The hot path answers from prepared bytes without a cache lookup; a POST goes through the cache.
  await app.inject({ method: 'POST', url: '/api/v1/validations', payload: { product: id } })
  const afterHit = await scrape()
  t.equal(afterHit.hits, (Number.isNaN(afterMiss.hits) ? 0 : afterMiss.hits) + 1, 'a hit is counted')
  t.ok(afterHit.foundInMemory > (Number.isNaN(afterMiss.foundInMemory) ? 0 : afterMiss.foundInMemory), 'found in the memory store')
  await app.inject({ method: 'DELETE', url: `/api/v1/admin/cache/products/${id}`, headers })
  const afterInvalidation = await scrape()
  t.equal(afterInvalidation.preparedEntries, 0, 'the invalidation dropped the prepared answer')
  sandbox.youtube.setBehaviour({ fault: 'http503', faultRate: 1 })
  await app.inject({ url })
  const afterFailure = await scrape()
  t.ok(afterFailure.youtube503 >= 1, 'the upstream failure is counted by outcome')
  t.match(afterFailure.body, /dropforge_database_pool|# HELP dropforge_database_pool/, 'the pool gauge exists (empty without PostgreSQL)')
})
