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
  t.match(res.body, /nodejs_eventloop_lag_seconds/)
  for (const secret of [SANDBOX_CREDENTIALS.aliexpress.appSecret, SANDBOX_CREDENTIALS.facebook.accessToken, SANDBOX_CREDENTIALS.youtube.apiKey, KEY]) {
    t.notOk(res.body.includes(secret), 'no credential in metrics')
  }
})
