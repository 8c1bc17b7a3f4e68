import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { type Cache, createCache } from './cache/cache.ts'
import { createRedisLoadLock } from './cache/redis-lock.ts'
import { createInvalidation, type Invalidation } from './cache/invalidation.ts'
import { type CacheStoreHandle, createMemoryStore, createRedisStore } from './cache/stores.ts'
import type { Config } from './config.ts'
import { createPreparedCache, type PreparedCache } from './http/prepared.ts'
import type { Logger } from './logger.ts'
import { createMetrics, type Metrics } from './plugins/metrics.ts'
import { createMemoryQuotaCounter, createRedisQuotaCounter } from './quota/counter.ts'
import { createAliexpressClient } from './sources/aliexpress/client.ts'
import { createFacebookClient, metaPause } from './sources/facebook/client.ts'
import type { CallEvent } from './sources/http.ts'
import { createSourceStatusBoard, type SourceStatusBoard } from './sources/status.ts'
import { createYoutubeClient } from './sources/youtube/client.ts'
import { createStore } from './store/index.ts'
import type { ValidationStore } from './store/types.ts'
import { createWriteBehind, type WriteBehind } from './store/write-behind.ts'
import { createValidationService, type ValidationService } from './validation/service.ts'
import { isTransientFailure } from './validation/source-cache.ts'
import type { AliexpressSource, FacebookSource, YoutubeSource } from './validation/sources.ts'

// Everything the app talks to, built from the config: Redis, the cache layers, the upstream clients,
// the database and the service over them. Closed together, in reverse order of creation.

/** What a caller (a test) may give instead. Anything not given is built here (and closed with the rest). */
export interface AppDeps {
  aliexpress?: AliexpressSource
  facebook?: FacebookSource
  youtube?: YoutubeSource
  cacheStore?: CacheStoreHandle
  /** null turns persistence off whatever the config says */
  store?: ValidationStore | null
  now?: () => Date
  /** puts something in front of the sources the service calls (the cache warmer's quota gates) */
  wrapSources?: (sources: Sources) => Sources
}

export interface Sources {
  aliexpress: AliexpressSource
  facebook: FacebookSource
  youtube: YoutubeSource
}

export interface Dependencies {
  /** ioredis for the rate limiter, quota counters and the invalidation channel; undefined without REDIS_URL */
  redis: Redis | undefined
  cacheStore: CacheStoreHandle
  /** this instance's own layer in front of a shared (Redis) store */
  localStore: CacheStoreHandle | undefined
  cache: Cache
  prepared: PreparedCache
  invalidation: Invalidation
  metrics: Metrics
  sources: SourceStatusBoard
  store: ValidationStore | undefined
  writeBehind: WriteBehind | undefined
  service: ValidationService
  close(): Promise<void>
}

/** How much of CACHE_MEMORY_MAX_BYTES holds cache entries; the rest holds prepared response bytes. */
const ENTRY_SHARE = 0.75

export async function createDependencies(config: Config, deps: AppDeps, log: Logger): Promise<Dependencies> {
  const owned: { close(): Promise<void> }[] = []
  const own = <T extends { close(): Promise<void> }>(thing: T): T => {
    owned.push(thing)
    return thing
  }
  const close = async () => {
    for (const thing of owned.reverse()) await thing.close().catch((err: unknown) => log.warn({ err }, 'closing a dependency failed'))
  }
  try {
    const redis = config.redisUrl ? own(createRedisCommandClient(config.redisUrl, log)) : undefined
    const entryBytes = Math.floor(config.cache.memoryMaxBytes * ENTRY_SHARE)
    const cacheStore =
      deps.cacheStore ?? own(config.redisUrl ? createRedisStore(config.redisUrl, log, { namespace: `${config.redisKeyPrefix}:cache` }) : createMemoryStore(entryBytes))
    // Connected before the first request: the first requests are then counted and cached in Redis,
    // and readiness reads the real connection state from the start. A dead Redis delays start-up by a second at most.
    await Promise.all([redis && firstConnection(redis), cacheStore.connect?.(1_000)])
    // With Redis shared by every instance, a byte-bounded in-process layer sits in front of it.
    const localStore = cacheStore.kind === 'redis' ? own(createMemoryStore(entryBytes)) : undefined
    const cache = createCache({
      store: cacheStore.keyv,
      local: localStore?.keyv,
      staleGraceMs: config.cache.staleGraceMs,
      isTransientFailure,
      // With a shared store, one instance loads a key while the others wait for its entry.
      lock: redis && cacheStore.kind === 'redis' ? createRedisLoadLock(redis, { prefix: `${config.redisKeyPrefix}:lock:` }) : undefined,
      // A validation waits for AliExpress, then Meta and YouTube; past that the holder is presumed gone.
      lockWaitMs: 3 * config.upstreamTimeoutMs + 1_000,
      onRefreshError: (key, err) => log.warn({ key, err }, 'background refresh failed; serving stale'),
    })
    const prepared = createPreparedCache(Math.floor(config.cache.memoryMaxBytes * (1 - ENTRY_SHARE)))
    const invalidation = own(await createInvalidation({ cache, prepared, redis, channel: `${config.redisKeyPrefix}:invalidate`, log }))

    const metrics = createMetrics()
    const timeoutMs = config.upstreamTimeoutMs
    const connections = config.upstreamMaxConnections
    const onCall = (event: CallEvent) => {
      metrics.upstreamCall(event.source, event.outcome, event.durationMs)
      sources.record(event)
      log.debug({ upstream: event }, 'upstream call')
    }
    // Budgets and the Meta pause are shared by every instance through Redis, in process without it.
    const quota = redis ? createRedisQuotaCounter(redis, { keyPrefix: `${config.redisKeyPrefix}:quota:` }) : createMemoryQuotaCounter()
    const { circuit } = config
    const aliexpressBudget = { counter: quota, callsPerMinute: config.aliexpress.callsPerMinute }
    const aliexpress = deps.aliexpress ?? own(createAliexpressClient({ ...config.aliexpress, timeoutMs, connections, onCall, circuit, budget: aliexpressBudget }))
    const pause = metaPause(config.facebook.throttlePauseMs, redis, `${config.redisKeyPrefix}:meta:pause`)
    const facebook = deps.facebook ?? own(createFacebookClient({ ...config.facebook, timeoutMs, connections, onCall, circuit, pause }))
    const youtube = deps.youtube ?? own(createYoutubeClient({ ...config.youtube, timeoutMs, connections, onCall, circuit, quota }))
    const sources = createSourceStatusBoard({ aliexpress, facebook, youtube })

    const store = deps.store === undefined ? await createStore(config.persistence, log) : (deps.store ?? undefined)
    if (store && deps.store === undefined) own(store)
    const writeBehind = store ? createWriteBehind(store, { logger: log }) : undefined
    const gated = deps.wrapSources?.({ aliexpress, facebook, youtube }) ?? { aliexpress, facebook, youtube }
    const service = createValidationService({
      ...gated,
      cache,
      archive: store,
      sink: writeBehind,
      weights: config.scoringWeights,
      ttl: { validationMs: config.cache.validationTtlMs, searchMs: config.cache.searchTtlMs, suppliersMs: config.cache.suppliersTtlMs },
      facebookCountries: config.facebook.adCountries,
      sandbox: config.sandbox,
      deadlineMs: config.upstreamTimeoutMs,
      now: deps.now,
      onArchiveError: (err) => log.warn({ err }, 'reading stored validations failed; going to the upstreams'),
    })
    return { redis, cacheStore, localStore, cache, prepared, invalidation, metrics, sources, store, writeBehind, service, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** ioredis for the rate limiter and quota counters, set up to fail fast while Redis is away. */
function createRedisCommandClient(url: string, log: Pick<Logger, 'warn'>) {
  // commandTimeout bounds a Redis that accepts connections but never answers; the offline queue and
  // retries would otherwise hold requests while it reconnects (https://github.com/fastify/fastify-rate-limit/issues/84).
  // Reconnect attempts stay a second apart at most, so a Redis that returns is used again at once.
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    commandTimeout: 250,
    retryStrategy: (times) => Math.min(100 * 2 ** times, 1_000),
  })
  let last = 0
  client.on('error', (err) => {
    if (Date.now() - last > 10_000) {
      last = Date.now()
      log.warn({ err }, 'redis (rate limit, quotas) error')
    }
  })
  return Object.assign(client, {
    close: async () => {
      await client.quit().catch(() => client.disconnect())
    },
  })
}

/**
 * Without an offline queue, commands sent before the connection is up fail (and the rate limit and
 * quotas fail open): wait for it, or for its first error, a second at most.
 */
async function firstConnection(redis: Redis): Promise<void> {
  await Promise.race([once(redis, 'ready'), once(redis, 'error'), sleep(1_000, undefined, { ref: false })]).catch(() => {})
}
