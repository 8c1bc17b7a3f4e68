import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Agent, request } from 'undici'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp, redisTestEnv } from '../helper.ts'
import { startOwnRedis } from '../redis-server.ts'
import { startTcpProxy } from '../store/proxy.ts'

const databaseUrl = process.env.DATABASE_URL

/** Polls /health/ready until it answers `status`; how long that took, or undefined after `withinMs`. */
async function readyBecomes(app: Awaited<ReturnType<typeof buildTestApp>>['app'], status: number, withinMs: number): Promise<number | undefined> {
  const started = Date.now()
  while (Date.now() - started <= withinMs) {
    if ((await app.inject({ url: '/health/ready' })).statusCode === status) return Date.now() - started
    await sleep(50)
  }
  return undefined
}

t.test('liveness, readiness and the detailed view: what each says', async (t) => {
  const { app } = await buildTestApp(t)
  const live = await app.inject({ url: '/health/live' })
  t.same([live.statusCode, live.json()], [200, { status: 'ok' }])
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), {
    status: 'ready',
    sandbox: true,
    dependencies: { cache: { kind: 'memory', state: 'up' }, database: { kind: 'off', state: 'off' } },
    upstreams: { aliexpress: { circuit: 'closed' }, facebook: { circuit: 'closed' }, youtube: { circuit: 'closed', budgets: [{ name: 'units' }, { name: 'searches' }] } },
  })
  await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 8100)}/validation` })
  const afterCall = (await app.inject({ url: '/health/ready' })).json()
  t.match(afterCall.upstreams.aliexpress.lastCall, { outcome: 200, ok: true, durationMs: Number }, 'each upstream with its last outcome')
  const detailed = await app.inject({ url: '/health' })
  t.match(detailed.json(), {
    status: 'ok',
    version: /^\d+\.\d+\.\d+/,
    scoringVersion: String,
    uptimeSeconds: Number,
    requests: { perSecond: Number, errorsPerSecond: Number, errorRate: Number },
    cache: { lookups: Number, hitRate: Number },
    memoryMb: { rss: Number, heapUsed: Number },
  })
  t.ok(detailed.json().requests.perSecond > 0)
  t.equal(detailed.headers['cache-control'], 'no-store')
})

t.test('300 health probes from one address never see a 429', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '5' } })
  const codes = new Set<number>()
  for (let i = 0; i < 300; i++) codes.add((await app.inject({ url: ['/health', '/health/live', '/health/ready'][i % 3]!, remoteAddress: '203.0.113.60' })).statusCode)
  t.same([...codes], [200])
})

t.test('a freshly started app with a live Redis is ready before any request', { skip: process.env.REDIS_URL ? false : 'REDIS_URL not set' }, async (t) => {
  const { app } = await buildTestApp(t, { env: redisTestEnv(t)! })
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 200, ready.body)
  t.match(ready.json().dependencies, { cache: { kind: 'redis', state: 'up' }, redis: { state: 'up' } })
})

t.test('Redis stopped: 503 within 2 s, liveness still 200; back to 200 within 2 s after it returns', async (t) => {
  const redis = await startOwnRedis(t)
  const { app } = await buildTestApp(t, { env: { REDIS_URL: redis.url } })
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
  await redis.stop()
  const down = await readyBecomes(app, 503, 2_000)
  t.ok(down !== undefined, `503 after ${down} ms`)
  t.match((await app.inject({ url: '/health/ready' })).json(), { status: 'unavailable', dependencies: { cache: { state: 'down' } } })
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'liveness is not readiness')
  const answered = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 8101)}/validation` })
  t.equal(answered.statusCode, 200, 'and validations are still answered without Redis')
  await redis.start()
  const up = await readyBecomes(app, 200, 2_000)
  t.ok(up !== undefined, `200 again after ${up} ms`)
})

t.test('database unreachable: readiness 503, history 503 DATABASE_UNAVAILABLE with Retry-After, never 500', { skip: databaseUrl ? false : 'DATABASE_URL not set' }, async (t) => {
  const target = new URL(databaseUrl!)
  const proxy = await startTcpProxy(t, { host: target.hostname, port: Number(target.port || 5432) })
  target.host = `127.0.0.1:${proxy.port}`
  const { app } = await buildTestApp(t, { env: { PERSISTENCE: 'on', DATABASE_URL: target.toString() } })
  const id = sandboxIdOfKind('average', 8102)
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200)
  t.equal((await app.inject({ url: `/api/v1/products/${id}/history` })).statusCode, 200)
  proxy.down()
  const ready = await app.inject({ url: '/health/ready' })
  t.equal(ready.statusCode, 503)
  t.match(ready.json(), { status: 'unavailable', dependencies: { database: { kind: 'postgres', state: 'down' } } })
  const history = await app.inject({ url: `/api/v1/products/${id}/history` })
  t.equal(history.statusCode, 503)
  t.match(history.json(), { error: { code: 'DATABASE_UNAVAILABLE', message: String } })
  t.notMatch(history.body, /ECONN|postgres:\/\//, 'no internals')
  t.ok(Number(history.headers['retry-after']) > 0)
  const validation = await app.inject({ url: `/api/v1/products/${id}/validation` })
  t.equal(validation.statusCode, 200, 'a validation does not need the database')
  proxy.up()
})

t.test('draining: readiness answers 503 before the listener closes', async (t) => {
  const { app } = await buildTestApp(t)
  let seen: { status: number; body: { status: string }; listening: boolean } | undefined
  // Runs after the health routes' own preClose hook (registered earlier), before the listener closes.
  app.addHook('preClose', async () => {
    const { port } = app.server.address() as { port: number }
    const answer = await request(`http://127.0.0.1:${port}/health/ready`, { dispatcher: new Agent({ pipelining: 0 }) })
    seen = { status: answer.statusCode, body: (await answer.body.json()) as { status: string }, listening: app.server.listening }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  t.equal((await request(`http://127.0.0.1:${port}/health/ready`)).statusCode, 200)
  await app.close()
  t.match(seen, { status: 503, body: { status: 'draining' }, listening: true }, 'answered 503 while still listening')
  t.equal(app.server.listening, false, 'then the listener closed')
})
