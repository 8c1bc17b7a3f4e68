import { randomUUID } from 'node:crypto'
import { createServer, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import t from 'tap'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import { createYoutubeSandbox } from '../../src/sandbox/youtube.ts'
import { createYoutubeClient } from '../../src/sources/youtube/client.ts'
import { createRedisQuotaCounter } from '../../src/quota/counter.ts'
import { nextPacificMidnight, pacificDayKey } from '../../src/quota/pacific-day.ts'

const REDIS_URL = process.env.REDIS_URL
const HOUR = 3_600_000

t.test('pacificDayKey follows the Los Angeles calendar, not UTC', async (t) => {
  t.equal(pacificDayKey(new Date('2025-01-01T07:59:59Z')), '2024-12-31', '23:59:59 PST is still the old day')
  t.equal(pacificDayKey(new Date('2025-01-01T08:00:00Z')), '2025-01-01', 'midnight PST is 08:00 UTC')
  t.equal(pacificDayKey(new Date('2025-07-04T06:59:59Z')), '2025-07-03', 'summer: 23:59:59 PDT')
  t.equal(pacificDayKey(new Date('2025-07-04T07:00:00Z')), '2025-07-04', 'midnight PDT is 07:00 UTC')
})

t.test('nextPacificMidnight is right on both sides of each DST change', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['2025-01-15T12:00:00Z', '2025-01-16T08:00:00.000Z', 'winter'],
    ['2025-07-15T12:00:00Z', '2025-07-16T07:00:00.000Z', 'summer'],
    ['2025-03-09T07:30:00Z', '2025-03-09T08:00:00.000Z', 'the evening before spring-forward: midnight is still PST'],
    ['2025-03-09T12:00:00Z', '2025-03-10T07:00:00.000Z', 'spring-forward day: the next midnight is PDT, 23 h later'],
    ['2025-11-02T06:30:00Z', '2025-11-02T07:00:00.000Z', 'the evening before fall-back: midnight is still PDT'],
    ['2025-11-02T12:00:00Z', '2025-11-03T08:00:00.000Z', 'fall-back day: the next midnight is PST, 25 h later'],
    ['2025-12-31T08:00:00Z', '2026-01-01T08:00:00.000Z', 'exactly at midnight: the next one, across a year'],
  ]
  for (const [now, expected, why] of cases) t.equal(nextPacificMidnight(new Date(now)).toISOString(), expected, why)
  const now = new Date()
  const next = nextPacificMidnight(now)
  t.ok(next.getTime() > now.getTime() && next.getTime() - now.getTime() <= 25 * HOUR, 'always ahead, at most 25 h')
  t.not(pacificDayKey(next), pacificDayKey(now), 'lands on the next Pacific day')
  t.equal(pacificDayKey(new Date(next.getTime() - 1)), pacificDayKey(now), 'one ms before is still today')
})

t.test('redis counter: falls back to memory at once when Redis refuses connections', async (t) => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as { port: number }).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const redis = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 200, retryStrategy: () => null })
  redis.on('error', () => {})
  t.teardown(() => redis.disconnect())
  const errors: unknown[] = []
  const counter = createRedisQuotaCounter(redis, { onError: (err) => errors.push(err) })
  const started = performance.now()
  t.same(await counter.consume('k', 1, 2, Date.now() + HOUR), { allowed: true, used: 1 })
  t.same(await counter.consume('k', 1, 2, Date.now() + HOUR), { allowed: true, used: 2 })
  t.same(await counter.consume('k', 1, 2, Date.now() + HOUR), { allowed: false, used: 2 }, 'the fallback still enforces the limit')
  t.equal(await counter.used('k'), 2)
  t.ok(performance.now() - started < 1_000, 'no waiting on a dead Redis')
  t.ok(errors.length >= 4, 'each Redis failure is reported')
})

t.test('redis counter: a Redis that accepts but never answers is given up on after timeoutMs', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const port = (silent.address() as { port: number }).port
  const redis = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: true, enableReadyCheck: false, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on('error', () => {})
  t.teardown(async () => {
    redis.disconnect()
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })
  const counter = createRedisQuotaCounter(redis, { timeoutMs: 150 })
  const started = performance.now()
  t.same(await counter.consume('k', 1, 1, Date.now() + HOUR), { allowed: true, used: 1 })
  const elapsed = performance.now() - started
  t.ok(elapsed >= 100 && elapsed < 1_000, `gave up after ${Math.round(elapsed)} ms`)
})

// What every counter must do is in counter-conformance.ts; here are the Redis counter's failures, and
// two YouTube clients sharing one budget through it.
t.test('YouTube clients on a real Redis', { skip: REDIS_URL ? false : 'REDIS_URL not set' }, async (t) => {
  const connect = () => {
    const redis = new Redis(REDIS_URL!, { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: 1_000 })
    redis.on('error', () => {})
    return redis
  }
  const a = connect()
  const b = connect()
  const prefix = `test:youtube-quota:${randomUUID()}:`
  t.teardown(async () => {
    const keys = await a.keys(`${prefix}*`)
    if (keys.length > 0) await a.del(...keys)
    await a.quit()
    await b.quit()
  })
  const errors: unknown[] = []
  const first = createRedisQuotaCounter(a, { keyPrefix: prefix, onError: (err) => errors.push(err) })
  const second = createRedisQuotaCounter(b, { keyPrefix: prefix, onError: (err) => errors.push(err) })

  t.test('two clients on one Redis share the search budget', async (t) => {
    const sandbox = await createYoutubeSandbox({ behaviour: { latencyMs: 0, jitterMs: 0 }, searchDailyLimit: 1_000 })
    const options = {
      apiUrl: sandbox.url,
      apiKey: SANDBOX_CREDENTIALS.youtube.apiKey,
      timeoutMs: 2_000,
      searchDailyLimit: 2,
      dailyQuota: 10_000,
      searchCost: 'bucket' as const,
    }
    const one = createYoutubeClient({ ...options, quota: first })
    const two = createYoutubeClient({ ...options, quota: second })
    t.teardown(async () => {
      await one.close()
      await two.close()
      await sandbox.close()
    })
    const now = new Date()
    t.equal((await one.videoStats('sunset lamp', 'US', now)).status, 'ok')
    t.equal((await two.videoStats('neck fan', 'US', now)).status, 'ok')
    t.equal((await one.videoStats('ice roller', 'US', now)).status, 'quota_exhausted')
    t.equal((await two.videoStats('ice roller', 'US', now)).status, 'quota_exhausted')
    t.equal(sandbox.calls.get('search.list'), 2, 'the shared budget stopped both before HTTP')
    t.equal((await two.quota(now)).searchesLeft, 0)
  })

  t.test('no fallback was needed', async (t) => {
    t.same(errors, [])
  })
})
