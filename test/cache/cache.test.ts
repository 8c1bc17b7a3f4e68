import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createCache } from '../../src/cache/cache.ts'
import { createMemoryStore, createRedisStore } from '../../src/cache/stores.ts'
import { deleteRedisKeys } from '../helper.ts'

const silent = { warn: () => {} }

function clock(start = Date.now()) {
  let now = start
  return { now: () => now, advance: (ms: number) => (now += ms) }
}

t.test('single-flight: 100 concurrent misses for one key make one load', async (t) => {
  const store = createMemoryStore(1 << 20)
  const cache = createCache({ store: store.keyv, staleGraceMs: 1000 })
  let loads = 0
  const results = await Promise.all(
    Array.from({ length: 100 }, () =>
      cache.getOrLoad('k', async () => {
        loads++
        await sleep(30)
        return { value: { n: 42 }, ttlMs: 60_000 }
      }),
    ),
  )
  t.equal(loads, 1)
  t.ok(results.every((r) => r.value.n === 42 && r.status === 'MISS'))
  t.equal((await cache.getOrLoad('k', async () => ({ value: { n: 0 }, ttlMs: 1 }))).status, 'HIT')
})

t.test('a failed load is not cached and reaches every waiter', async (t) => {
  const cache = createCache({ store: createMemoryStore(1 << 20).keyv, staleGraceMs: 1000 })
  let loads = 0
  const failing = () =>
    cache.getOrLoad('k', async () => {
      loads++
      await sleep(10)
      throw new Error('upstream down')
    })
  const settled = await Promise.allSettled([failing(), failing(), failing()])
  t.ok(settled.every((s) => s.status === 'rejected'))
  t.equal(loads, 1)
  await t.rejects(failing())
  t.equal(loads, 2, 'the next request tries again')
})

t.test('stale-while-revalidate: many stale hits start exactly one refresh', async (t) => {
  const c = clock()
  const cache = createCache({ store: createMemoryStore(1 << 20).keyv, staleGraceMs: 60_000, now: c.now })
  await cache.getOrLoad('k', async () => ({ value: 'v1', ttlMs: 1000 }))
  c.advance(2000)
  let refreshes = 0
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  const refresh = async () => {
    refreshes++
    await gate
    return { value: 'v2', ttlMs: 1000 }
  }
  const stale = await Promise.all(Array.from({ length: 50 }, () => cache.getOrLoad('k', refresh)))
  t.ok(stale.every((r) => r.status === 'STALE' && r.value === 'v1'), 'stale value served at once')
  t.equal(refreshes, 1)
  release()
  await cache.idle()
  const fresh = await cache.getOrLoad('k', refresh)
  t.same([fresh.status, fresh.value], ['HIT', 'v2'])
  t.equal(refreshes, 1)
})

t.test('stale-while-revalidate: a failed refresh keeps the stale entry', async (t) => {
  const c = clock()
  const errors: unknown[] = []
  const cache = createCache({ store: createMemoryStore(1 << 20).keyv, staleGraceMs: 60_000, now: c.now, onRefreshError: (_k, e) => errors.push(e) })
  await cache.getOrLoad('k', async () => ({ value: 'v1', ttlMs: 1000 }))
  c.advance(5000)
  const failing = async (): Promise<{ value: string; ttlMs: number }> => {
    throw new Error('refresh failed')
  }
  t.equal((await cache.getOrLoad('k', failing)).status, 'STALE')
  await cache.idle()
  t.equal(errors.length, 1)
  const again = await cache.getOrLoad('k', failing)
  t.same([again.status, again.value], ['STALE', 'v1'], 'still served stale')
  c.advance(60_000)
  await t.rejects(cache.getOrLoad('k', failing), /refresh failed/, 'past the grace period it is a miss')
})

t.test('memory store stays within its byte bound (LRU eviction)', async (t) => {
  const store = createMemoryStore(256 * 1024)
  const cache = createCache({ store: store.keyv, staleGraceMs: 0 })
  const value = 'x'.repeat(1000)
  for (let i = 0; i < 2000; i++) await cache.set(`key-${i}`, { value, ttlMs: 60_000 })
  t.ok(store.size()! <= 256 * 1024, `held ${store.size()} bytes`)
  t.ok(await cache.peek('key-1999'), 'newest kept')
  t.notOk(await cache.peek('key-0'), 'oldest evicted')
})

t.test('memory store counts the bytes V8 holds: one per ASCII character, two per character otherwise', async (t) => {
  const ascii = createMemoryStore(1 << 20)
  await ascii.keyv.set('k', 'a'.repeat(10_000))
  const wide = createMemoryStore(1 << 20)
  await wide.keyv.set('k', '€'.repeat(10_000))
  t.ok(ascii.size()! >= 10_000 && ascii.size()! < 10_400, `ASCII: ${ascii.size()} bytes for 10,000 characters`)
  t.ok(wide.size()! >= 20_000 && wide.size()! < 20_400, `non-Latin-1: ${wide.size()} bytes for 10,000 characters`)
})

t.test('Redis down: the cache answers as a miss at once and never throws', async (t) => {
  const probe = createServer()
  probe.listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = (probe.address() as { port: number }).port
  probe.close()
  const store = createRedisStore(`redis://127.0.0.1:${port}`, silent)
  t.teardown(() => store.close())
  const cache = createCache({ store: store.keyv, staleGraceMs: 1000, storeTimeoutMs: 100 })
  const started = Date.now()
  const r = await cache.getOrLoad('k', async () => ({ value: 1, ttlMs: 1000 }))
  t.equal(r.value, 1)
  t.ok(Date.now() - started < 1000, `answered in ${Date.now() - started} ms`)
})

t.test('Redis hanging: reads and writes give up after the store deadline', async (t) => {
  const sockets = new Set<Socket>()
  const hung = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => {}) // accept everything, answer nothing
  })
  hung.listen(0, '127.0.0.1')
  await once(hung, 'listening')
  const store = createRedisStore(`redis://127.0.0.1:${(hung.address() as { port: number }).port}`, silent)
  t.teardown(async () => {
    await store.close()
    hung.close()
    for (const s of sockets) s.destroy()
  })
  const cache = createCache({ store: store.keyv, staleGraceMs: 1000, storeTimeoutMs: 100 })
  const started = Date.now()
  const r = await cache.getOrLoad('k', async () => ({ value: 'loaded', ttlMs: 1000 }))
  t.equal(r.value, 'loaded')
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`)
  t.ok(cache.counters().storeTimeouts + cache.counters().storeErrors > 0)
})

const redisUrl = process.env.REDIS_URL
t.test('Redis store: two caches on one Redis share entries', { skip: redisUrl ? false : 'REDIS_URL not set' }, async (t) => {
  const namespace = `test-${randomUUID()}`
  const a = createRedisStore(redisUrl!, silent, { namespace })
  const b = createRedisStore(redisUrl!, silent, { namespace })
  t.teardown(async () => {
    await a.close()
    await b.close()
    await deleteRedisKeys(redisUrl!, `${namespace}:*`)
  })
  const key = 'shared'
  const ca = createCache({ store: a.keyv, staleGraceMs: 1000, storeTimeoutMs: 1000 })
  const cb = createCache({ store: b.keyv, staleGraceMs: 1000, storeTimeoutMs: 1000 })
  await ca.getOrLoad(key, async () => ({ value: { from: 'a' }, ttlMs: 10_000 }))
  const hit = await cb.getOrLoad(key, async () => ({ value: { from: 'b' }, ttlMs: 10_000 }))
  t.same([hit.status, hit.value], ['HIT', { from: 'a' }])
})
