import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { createMemoryQuotaCounter, createRedisQuotaCounter } from '../../src/quota/counter.ts'
import { runQuotaCounterConformance } from './counter-conformance.ts'

const REDIS_URL = process.env.REDIS_URL

t.test('memory quota counter conformance', async (t) => {
  runQuotaCounterConformance(t, {
    make: createMemoryQuotaCounter,
    notShared: 'a memory counter is one process’s own count: two never share one',
  })
})

t.test('Redis quota counter conformance', { skip: REDIS_URL ? false : 'REDIS_URL not set' }, async (t) => {
  // The Redis is shared: this run's keys carry its own prefix and only they are deleted after.
  const prefix = `test:quota-conformance:${randomUUID()}:`
  const clients: Redis[] = []
  const errors: unknown[] = []
  t.teardown(async () => {
    const keys = await clients[0]!.keys(`${prefix}*`)
    if (keys.length > 0) await clients[0]!.del(...keys)
    await Promise.all(clients.map((client) => client.quit()))
  })
  runQuotaCounterConformance(t, {
    // Each counter on a connection of its own, as two DropForge instances would be.
    make() {
      const redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1, connectTimeout: 1_000 })
      redis.on('error', () => {})
      clients.push(redis)
      return createRedisQuotaCounter(redis, { keyPrefix: prefix, onError: (err) => errors.push(err) })
    },
  })
  t.test('every answer came from Redis, none from the in-memory fallback', async (t) => {
    t.same(errors, [])
  })
})
