import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp, redisTestEnv, startTestSandbox } from '../helper.ts'
import { faultFigures } from './figures.ts'

// What several instances share through one Redis: the Meta pause, single-flight per key, budgets.

const skip = process.env.REDIS_URL ? false : 'REDIS_URL not set'
const figures = faultFigures()
t.teardown(() => figures.print(t, 'shared through Redis'))

t.test('Meta code 4 on one instance: zero Meta calls on either instance until the pause ends', { skip }, async (t) => {
  const sandbox = await startTestSandbox(t)
  const env = { ...redisTestEnv(t)!, FACEBOOK_THROTTLE_PAUSE: '3s' }
  const apps = [(await buildTestApp(t, { sandbox, env })).app, (await buildTestApp(t, { sandbox, env })).app]
  const id = sandboxIdOfKind('strong', 700)
  sandbox.facebook.setBehaviour({ fault: 'rate_limit', faultRate: 1 })
  const throttled = await apps[0]!.inject({ url: `/api/v1/products/${id}/validation?keywords=first%20term` })
  t.equal(throttled.json().signals.facebook.status, 'rate_limited')
  const pausedAt = Date.now()
  t.match((await apps[1]!.inject({ url: '/health/live' })).statusCode, 200)

  sandbox.facebook.setBehaviour({ faultRate: 0 })
  sandbox.resetCalls()
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const res = await apps[i % 2]!.inject({ url: `/api/v1/products/${id}/validation?keywords=term%20${i}` })
    const facebook = res.json().signals.facebook
    figures.record('meta paused, 20 terms, 2 instances', performance.now() - started, res.statusCode !== 200)
    t.equal(facebook.status, 'rate_limited', `term ${i} on instance ${i % 2}: ${facebook.reason}`)
  }
  t.ok(Date.now() - pausedAt < 3_000, 'all asked while the pause lasted')
  t.equal(sandbox.facebook.totalCalls(), 0, 'no Meta call from either instance')

  await sleep(Math.max(0, pausedAt + 3_100 - Date.now()))
  const after = await apps[1]!.inject({ url: `/api/v1/products/${id}/validation?keywords=after%20the%20pause` })
  t.equal(after.json().signals.facebook.status, 'ok', 'Meta is asked again once the pause is over')
  t.ok(sandbox.facebook.totalCalls() > 0)
})

t.test('200 concurrent requests for one uncached product over two instances: one upstream lookup per source', { skip }, async (t) => {
  const latency = { latencyMs: 80, jitterMs: 0 }
  const sandboxOptions = { aliexpress: latency, facebook: latency, youtube: latency }
  const id = sandboxIdOfKind('strong', 701 + (process.pid % 1000))
  // What one validation of this product costs, each source, on an instance of its own.
  const alone = await buildTestApp(t, { sandboxOptions })
  await alone.app.inject({ url: `/api/v1/products/${id}/validation` })
  const once = { aliexpress: alone.sandbox.aliexpress.totalCalls(), facebook: alone.sandbox.facebook.totalCalls(), youtube: alone.sandbox.youtube.totalCalls() }

  const sandbox = await startTestSandbox(t, sandboxOptions)
  const env = redisTestEnv(t)!
  const apps = [(await buildTestApp(t, { sandbox, env })).app, (await buildTestApp(t, { sandbox, env })).app]
  const started = performance.now()
  const answers = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const begun = performance.now()
      const res = await apps[i % 2]!.inject({ url: `/api/v1/products/${id}/validation` })
      figures.record('200 concurrent, one product, 2 instances', performance.now() - begun, res.statusCode !== 200)
      return res
    }),
  )
  t.ok(
    answers.every((r) => r.statusCode === 200),
    `200 answers in ${(performance.now() - started).toFixed(0)} ms`,
  )
  t.same(new Set(answers.map((r) => r.json().score.total)).size, 1, 'one validation for all')
  t.same(
    { aliexpress: sandbox.aliexpress.totalCalls(), facebook: sandbox.facebook.totalCalls(), youtube: sandbox.youtube.totalCalls() },
    once,
    'each source called as often as for a single request',
  )
  t.equal(sandbox.aliexpress.calls.get('productdetail.get'), 1)
  t.equal(sandbox.aliexpress.calls.get('aliexpress.ds.freight.query'), 1)
  t.equal(sandbox.youtube.calls.get('search.list'), 1)
})

t.test('a YouTube budget spent on one instance is spent on both', { skip }, async (t) => {
  const sandbox = await startTestSandbox(t)
  const env = { ...redisTestEnv(t)!, YOUTUBE_SEARCH_DAILY_LIMIT: '1' }
  const one = await buildTestApp(t, { sandbox, env })
  const two = await buildTestApp(t, { sandbox, env })
  const first = await one.app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 750)}/validation` })
  t.equal(first.json().signals.youtube.status, 'ok')
  const searches = sandbox.youtube.calls.get('search.list')
  const second = await two.app.inject({ url: `/api/v1/products/${sandboxIdOfKind('weak', 751)}/validation` })
  t.equal(second.json().signals.youtube.status, 'quota_exhausted', 'the other instance sees the day spent')
  t.equal(sandbox.youtube.calls.get('search.list'), searches, 'and makes no search')
})
