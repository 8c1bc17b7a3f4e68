import { spawnSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp, startTestSandbox } from '../helper.ts'
import { startOwnRedis } from '../redis-server.ts'
import { countRows, createTestSchema, NO_DATABASE_URL } from '../store/helpers.ts'
import { startTcpProxy } from '../store/proxy.ts'
import { faultFigures } from './figures.ts'

// Redis killed and restarted under load, a dead Redis and the rate limit, the database cut and
// restored under load: every request answered, nothing lost, sharing back once Redis is.

const figures = faultFigures()
t.teardown(() => figures.print(t, 'outages'))
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0
const ENV = { UPSTREAM_TIMEOUT_MS: '1000' }

/** Requests from `workers` loops over both apps until `until`; each answer must be a 200 in time. */
async function load(apps: FastifyInstance[], label: string, until: number, ids: () => string) {
  const codes = new Map<number, number>()
  let slowest = 0
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      while (Date.now() < until) {
        const started = performance.now()
        const res = await apps[w % apps.length]!.inject({ url: `/api/v1/products/${ids()}/validation` })
        const ms = performance.now() - started
        slowest = Math.max(slowest, ms)
        codes.set(res.statusCode, (codes.get(res.statusCode) ?? 0) + 1)
        figures.record(label, ms, res.statusCode !== 200)
      }
    }),
  )
  return { codes, slowest }
}

t.test('Redis killed and restarted under load: zero failed requests, sharing again afterwards', { skip: hasRedisServer ? false : 'redis-server is not installed' }, async (t) => {
  const redis = await startOwnRedis(t)
  const sandbox = await startTestSandbox(t)
  const env = { ...ENV, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage' }
  const apps = [(await buildTestApp(t, { sandbox, env })).app, (await buildTestApp(t, { sandbox, env })).app]
  let n = 0
  // Half the requests go to 20 popular products (cached), half to new ones (upstream calls).
  const ids = () => sandboxIdOfKind('strong', n++ % 2 === 0 ? 800 + (n % 20) : 1_000 + n)

  const started = Date.now()
  const run = load(apps, 'redis killed and restarted', started + 4_000, ids)
  await sleep(1_000)
  await redis.stop()
  await sleep(1_500)
  await redis.start()
  const { codes, slowest } = await run
  t.same([...codes.keys()], [200], `every answer a 200: ${JSON.stringify([...codes])}, slowest ${slowest.toFixed(0)} ms`)

  // Both clients reconnect by themselves.
  for (let i = 0; i < 100; i++) {
    const pings = await Promise.all(apps.map((app) => app.cacheStore.ping().then(() => true, () => false)))
    if (pings.every(Boolean)) break
    await sleep(100)
  }
  const url = `/api/v1/products/${sandboxIdOfKind('weak', 5_000 + (process.pid % 1000))}/validation`
  const miss = await apps[0]!.inject({ url })
  t.equal(miss.headers['x-cache'], 'MISS')
  const calls = sandbox.totalCalls()
  const hit = await apps[1]!.inject({ url })
  t.equal(hit.headers['x-cache'], 'HIT', 'a miss on one instance is a hit on the other again')
  t.equal(sandbox.totalCalls(), calls)
})

t.test('Redis down: the rate limit falls back to counting in each instance', async (t) => {
  const { app } = await buildTestApp(t, { env: { ...ENV, REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' } })
  const client = { remoteAddress: '198.51.100.7' }
  const codes = []
  // Health probes are exempt from the limit; an unknown route counts like any other.
  for (let i = 0; i < 4; i++) codes.push((await app.inject({ url: '/no/such/route', ...client })).statusCode)
  t.same(codes, [404, 404, 404, 429], 'the fourth request is over the limit, counted in memory')
  t.equal((await app.inject({ url: '/no/such/route', remoteAddress: '198.51.100.8' })).statusCode, 404, 'other clients are not refused')
})

t.test('PostgreSQL cut and restored under load: every validation is persisted', { skip: process.env.DATABASE_URL ? false : NO_DATABASE_URL }, async (t) => {
  const schema = (await createTestSchema(t))!
  const target = new URL(schema.url)
  const proxy = await startTcpProxy(t, { host: target.hostname, port: Number(target.port || 5432) })
  target.host = `127.0.0.1:${proxy.port}`
  const { app } = await buildTestApp(t, { env: { ...ENV, PERSISTENCE: 'on', DATABASE_URL: target.toString() } })
  const asked: string[] = []
  let n = 0
  const ids = () => {
    const id = sandboxIdOfKind('average', 20_000 + (process.pid % 1000) * 100 + n++)
    asked.push(id)
    return id
  }
  const started = Date.now()
  const run = load([app], 'database cut and restored', started + 3_000, ids)
  await sleep(800)
  proxy.down()
  await sleep(1_400)
  const failedFlushes = app.writeBehind!.stats().failedFlushes
  proxy.up()
  const { codes } = await run
  t.same([...codes.keys()], [200], `every answer a 200: ${JSON.stringify([...codes])}`)
  await app.writeBehind!.close(20_000)
  t.ok(failedFlushes > 0, `${failedFlushes} failed flushes while the database was gone`)
  t.equal(app.writeBehind!.stats().dropped, 0)
  t.equal(await countRows(schema.admin, [...new Set(asked)]), new Set(asked).size, `all ${new Set(asked).size} validations persisted`)
})
