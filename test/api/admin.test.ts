import t from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp, redisTestEnv, startTestSandbox } from '../helper.ts'

const KEY = 'admin-key-of-the-tests-0123456789'
const admin = { 'x-admin-key': KEY }
let n = 0
const product = () => sandboxIdOfKind('strong', 7000 + (process.pid % 100) * 50 + n++)

t.test('admin key: unset is 403, missing, wrong or of another length is 401, the right one works', async (t) => {
  const off = await buildTestApp(t)
  const forbidden = await off.app.inject({ url: '/api/v1/admin/stats', headers: admin })
  t.equal(forbidden.statusCode, 403)
  t.equal(forbidden.json().error.code, 'FORBIDDEN')
  const { app } = await buildTestApp(t, { env: { ADMIN_API_KEY: KEY } })
  for (const headers of [{}, { 'x-admin-key': `${KEY.slice(0, -1)}x` }, { 'x-admin-key': `${KEY}-longer` }, { 'x-admin-key': 'short' }]) {
    const res = await app.inject({ url: '/api/v1/admin/stats', headers })
    t.equal(res.statusCode, 401, JSON.stringify(headers))
    t.equal(res.json().error.code, 'UNAUTHORIZED')
    t.notMatch(res.body, KEY, 'the key is never echoed')
  }
  for (const [method, url] of [
    ['DELETE', `/api/v1/admin/cache/products/${product()}`],
    ['POST', '/api/v1/admin/cache/clear'],
  ] as const) {
    t.equal((await app.inject({ method, url })).statusCode, 401, `${method} ${url} without the key`)
  }
  const stats = await app.inject({ url: '/api/v1/admin/stats', headers: admin })
  t.equal(stats.statusCode, 200)
  t.equal(stats.headers['cache-control'], 'no-store')
  t.match(stats.json(), {
    cache: { layers: { local: { entries: Number }, prepared: { entries: Number } }, lookups: { total: Number, hitRate: Number } },
    sources: { aliexpress: { circuit: 'closed', budgets: [] }, youtube: { circuit: 'closed', budgets: [{ name: 'units' }] } },
  })
})

t.test('invalidate one product: its next request is a MISS with exactly one upstream call per source', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: { ADMIN_API_KEY: KEY } })
  const id = product()
  const url = `/api/v1/products/${id}/validation`
  t.equal((await app.inject({ url })).headers['x-cache'], 'MISS')
  t.equal((await app.inject({ url: `${url}?country=DE&currency=EUR` })).headers['x-cache'], 'MISS')
  t.equal((await app.inject({ url })).headers['x-cache'], 'HIT')
  const dropped = await app.inject({ method: 'DELETE', url: `/api/v1/admin/cache/products/${id}`, headers: admin })
  t.equal(dropped.statusCode, 200)
  // two validations, two AliExpress entries, two shipping quotes, and the Meta and YouTube answers they
  // used (one Meta answer serves both markets: Meta is asked about the configured EU countries)
  t.match(dropped.json(), { productId: id, invalidated: 9 })
  sandbox.resetCalls()
  const again = await app.inject({ url })
  t.equal(again.headers['x-cache'], 'MISS', 'the prepared bytes went too')
  const ae = (method: string) => sandbox.aliexpress.calls.get(method) ?? 0
  t.same(
    [ae('productdetail.get'), ae('aliexpress.ds.freight.query'), sandbox.facebook.totalCalls() > 0, sandbox.youtube.calls.get('search.list')],
    [1, 1, true, 1],
    'AliExpress product and shipping once each, Meta, and one YouTube search',
  )
  const other = await app.inject({ url: `${url}?country=DE&currency=EUR` })
  t.equal(other.headers['x-cache'], 'MISS', 'every market of the product was dropped')

  const cleared = await app.inject({ method: 'POST', url: '/api/v1/admin/cache/clear', headers: admin })
  t.same(cleared.json(), { cleared: true })
  t.equal((await app.inject({ url })).headers['x-cache'], 'MISS', 'clear drops everything')
})

t.test('with two instances on one Redis, an invalidation on one is a MISS on the other', { skip: process.env.REDIS_URL ? false : 'REDIS_URL not set' }, async (t) => {
  const sandbox = await startTestSandbox(t)
  const env = { ...redisTestEnv(t)!, ADMIN_API_KEY: KEY }
  const one = await buildTestApp(t, { sandbox, env })
  const two = await buildTestApp(t, { sandbox, env })
  const id = product()
  const url = `/api/v1/products/${id}/validation`
  t.equal((await one.app.inject({ url })).headers['x-cache'], 'MISS')
  t.equal((await two.app.inject({ url })).headers['x-cache'], 'HIT')
  t.equal((await two.app.inject({ url })).headers['x-cache'], 'HIT', 'now from its own local layer and prepared bytes')
  t.equal((await one.app.inject({ method: 'DELETE', url: `/api/v1/admin/cache/products/${id}`, headers: admin })).statusCode, 200)
  // The other instance hears of it through Redis's channel, a moment later.
  const started = Date.now()
  let seen = ''
  while (seen !== 'MISS' && Date.now() - started < 2_000) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    seen = String((await two.app.inject({ url: `/api/v1/products/${id}/validation?country=US` })).headers['x-cache'])
  }
  t.equal(seen, 'MISS', `the other instance dropped its local copy (after ${Date.now() - started} ms)`)
})

t.test('refresh on demand: BYPASS within a per-client budget, then 429; a browser reload past it is served from cache', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: { REFRESH_RATE_LIMIT_MAX: '2', REFRESH_RATE_LIMIT_WINDOW: '1 hour' } })
  const url = `/api/v1/products/${product()}/validation`
  const first = await app.inject({ url })
  t.equal(first.headers['x-cache'], 'MISS')
  sandbox.resetCalls()
  const client = { remoteAddress: '203.0.113.50' }
  const bypass = await app.inject({ url: `${url}?refresh=true`, ...client })
  t.equal(bypass.statusCode, 200)
  t.equal(bypass.headers['x-cache'], 'BYPASS')
  t.ok(sandbox.aliexpress.calls.get('productdetail.get') === 1 && sandbox.youtube.calls.get('search.list') === 1, 'the upstreams were asked again')
  t.not(bypass.json().validatedAt, first.json().validatedAt)
  t.equal((await app.inject({ url })).json().validatedAt, bypass.json().validatedAt, 'the fresh answer is what everyone gets next')
  const reload = await app.inject({ url, headers: { 'cache-control': 'no-cache' }, ...client })
  t.equal(reload.headers['x-cache'], 'BYPASS', 'Cache-Control: no-cache counts as a refresh')
  const over = await app.inject({ url: `${url}?refresh=true`, ...client })
  t.equal(over.statusCode, 429)
  t.match(over.json(), { error: { code: 'RATE_LIMITED', message: /Refresh budget exceeded: 2 requests/ } })
  t.ok(Number(over.headers['retry-after']) > 0)
  const calls = sandbox.totalCalls()
  const reloadOver = await app.inject({ url, headers: { 'cache-control': 'no-cache' }, ...client })
  t.equal(reloadOver.statusCode, 200, 'a reload past the budget is answered')
  t.equal(reloadOver.headers['x-cache'], 'HIT', 'from the cache')
  t.equal(sandbox.totalCalls(), calls, 'without an upstream call')
  t.equal((await app.inject({ url: `${url}?refresh=true`, remoteAddress: '203.0.113.51' })).headers['x-cache'], 'BYPASS', 'another client has its own budget')
  t.equal((await app.inject({ url: `${url}?refresh=yes` })).statusCode, 400, 'refresh is a boolean')
})
