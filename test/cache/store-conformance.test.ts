import { randomUUID } from 'node:crypto'
import type KeyvRedis from '@keyv/redis'
import { Redis } from 'ioredis'
import t from 'tap'
import { LruStore } from '../../src/cache/lru-store.ts'
import { type CacheStoreHandle, createByteBoundedLru, createRedisStore } from '../../src/cache/stores.ts'
import { runCacheStoreConformance } from './store-conformance.ts'

const REDIS_URL = process.env.REDIS_URL

t.test('memory store (lru-cache) conformance', async (t) => {
  const lru = createByteBoundedLru(1 << 20)
  runCacheStoreConformance(t, () => new LruStore(lru))
})

t.test('Redis store (@keyv/redis) conformance', { skip: REDIS_URL ? false : 'REDIS_URL not set' }, async (t) => {
  // The Redis is shared: every key of this run carries its id, and only those keys are deleted after.
  const run = `test-conformance-${randomUUID()}`
  const handles: CacheStoreHandle[] = []
  t.teardown(async () => {
    await Promise.all(handles.map((handle) => handle.close()))
    const redis = new Redis(REDIS_URL!, { maxRetriesPerRequest: 1 })
    const keys = await redis.keys(`*::${run}::*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })
  runCacheStoreConformance(t, () => {
    const handle = createRedisStore(REDIS_URL!, { warn: () => {} })
    handles.push(handle)
    // Keyv gives each adapter its own namespace (the suite's are fixed: keyv, keyv1, keyv2); the
    // separator @keyv/redis puts between namespace and key is where this run's id can go.
    const adapter = handle.keyv.store as KeyvRedis<string>
    adapter.keyPrefixSeparator = `::${run}::`
    return adapter
  })
})
