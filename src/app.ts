import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import compress from '@fastify/compress'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import { Redis } from 'ioredis'
import { createCache } from './cache/cache.ts'
import { type CacheStoreHandle, createMemoryStore, createRedisStore } from './cache/stores.ts'
import { type Config, secretsOf } from './config.ts'
import { clientErrorHandler, frameworkErrors } from './http/framework-errors.ts'
import { createPreparedCache, type PreparedCache } from './http/prepared.ts'
import { genReqId } from './http/request-id.ts'
import presetHeaders from './http/preset-headers.ts'
import auth from './plugins/auth.ts'
import errors from './plugins/errors.ts'
import metricsPlugin, { createMetrics, metricsRoute } from './plugins/metrics.ts'
import rateLimit from './plugins/rate-limit.ts'
import requestBody from './plugins/request-body.ts'
import { setValidators } from './plugins/validators.ts'
import { createMemoryQuotaCounter, createRedisQuotaCounter } from './quota/counter.ts'
import healthRoutes from './routes/health.ts'
import productRoutes from './routes/products.ts'
import validationRoutes from './routes/validate.ts'
import { ErrorSchema } from './schemas/common.ts'
import { ValidationSchema } from './schemas/validation.ts'
import { createAliexpressClient } from './sources/aliexpress/client.ts'
import { createFacebookClient } from './sources/facebook/client.ts'
import { type CallEvent, redact } from './sources/http.ts'
import { createYoutubeClient } from './sources/youtube/client.ts'
import { createStore } from './store/index.ts'
import type { ValidationStore } from './store/types.ts'
import { createWriteBehind, type WriteBehind } from './store/write-behind.ts'
import { createValidationService, type ValidationService } from './validation/service.ts'
import type { AliexpressSource, FacebookSource, YoutubeSource } from './validation/sources.ts'

/** What the app talks to. Anything not given is built from the config (and closed with the app). */
export interface AppDeps {
  aliexpress?: AliexpressSource
  facebook?: FacebookSource
  youtube?: YoutubeSource
  cacheStore?: CacheStoreHandle
  /** null turns persistence off whatever the config says */
  store?: ValidationStore | null
  now?: () => Date
}

/** The Fastify options production uses; tests build the same server. */
export function serverOptions(config: Config): FastifyServerOptions {
  const secrets = secretsOf(config)
  return {
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            level: config.logLevel,
            redact: { paths: ['req.headers.authorization', 'req.headers["x-admin-key"]', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[REDACTED]' },
            serializers: {
              req: (req: { method: string; url: string; ip?: string; id: string }) => ({ method: req.method, url: redact(req.url, secrets), ip: req.ip, id: req.id }),
            },
          },
    // One log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    bodyLimit: 64 * 1024,
    requestIdHeader: false,
    genReqId,
    // Browsers and CDNs keep connections open; a CDN's idle timeout is typically 60-90 s.
    keepAliveTimeout: 72_000,
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    clientErrorHandler,
    frameworkErrors,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config)).withTypeProvider<TypeBoxTypeProvider>()
  const owned: { close(): Promise<void> }[] = []
  const own = <T extends { close(): Promise<void> }>(thing: T): T => {
    owned.push(thing)
    return thing
  }

  const redis = config.redisUrl ? own(createRedisCommandClient(config.redisUrl, app.log)) : undefined
  // Without an offline queue, commands sent before the connection is up fail (and the rate limit
  // and quotas fail open): wait for it, or for its first error, so the first requests are counted.
  if (redis) await Promise.race([once(redis, 'ready'), once(redis, 'error'), sleep(1_000, undefined, { ref: false })]).catch(() => {})
  const entryBytes = Math.floor(config.cache.memoryMaxBytes * 0.75)
  const cacheStore = deps.cacheStore ?? own(config.redisUrl ? createRedisStore(config.redisUrl, app.log, { namespace: `${config.redisKeyPrefix}:cache` }) : createMemoryStore(entryBytes))
  // With Redis shared by every instance, a byte-bounded in-process layer sits in front of it.
  const localStore = cacheStore.kind === 'redis' ? own(createMemoryStore(entryBytes)) : undefined
  const cache = createCache({
    store: cacheStore.keyv,
    local: localStore?.keyv,
    staleGraceMs: config.cache.staleGraceMs,
    onRefreshError: (key, err) => app.log.warn({ key, err }, 'background refresh failed; serving stale'),
  })
  const prepared = createPreparedCache(Math.floor(config.cache.memoryMaxBytes * 0.25))

  const metrics = createMetrics()
  const timeoutMs = config.upstreamTimeoutMs
  const onCall = (event: CallEvent) => {
    metrics.upstreamCall(event.source, event.outcome, event.durationMs)
    app.log.debug({ upstream: event }, 'upstream call')
  }
  const aliexpress = deps.aliexpress ?? own(createAliexpressClient({ ...config.aliexpress, timeoutMs, onCall }))
  const facebook = deps.facebook ?? own(createFacebookClient({ ...config.facebook, timeoutMs, onCall }))
  const youtube =
    deps.youtube ??
    own(
      createYoutubeClient({
        ...config.youtube,
        timeoutMs,
        onCall,
        quota: redis ? createRedisQuotaCounter(redis, { keyPrefix: `${config.redisKeyPrefix}:quota:` }) : createMemoryQuotaCounter(),
      }),
    )

  const store = deps.store === undefined ? await createStore(config.persistence, app.log) : (deps.store ?? undefined)
  if (store && deps.store === undefined) own(store)
  const writeBehind: WriteBehind | undefined = store ? createWriteBehind(store, { logger: app.log }) : undefined

  const service = createValidationService({
    aliexpress,
    facebook,
    youtube,
    cache,
    archive: store,
    sink: writeBehind,
    weights: config.scoringWeights,
    ttl: { validationMs: config.cache.validationTtlMs, searchMs: config.cache.searchTtlMs, suppliersMs: config.cache.suppliersTtlMs },
    facebookCountries: config.facebook.adCountries,
    sandbox: config.sandbox,
    now: deps.now,
    onArchiveError: (err) => app.log.warn({ err }, 'reading stored validations failed; going to the upstreams'),
  })

  app.decorate('config', config)
  app.decorate('service', service)
  app.decorate('cache', cache)
  app.decorate('prepared', prepared)
  app.decorate('cacheStore', cacheStore)
  app.decorate('store', store)
  app.decorate('writeBehind', writeBehind)

  setValidators(app)
  // One log line per request (Fastify's own two are off in serverOptions).
  if (['info', 'debug', 'trace'].includes(config.logLevel)) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info({ req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request')
    })
  }
  // JSON only: a text/plain body is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain')
  app.addSchema(ErrorSchema)
  app.addSchema(ValidationSchema)
  // First, so that every route after it (the CORS preflight route too) gets its metrics hook.
  await app.register(metricsPlugin, { metrics })
  // Answers are compressed; request bodies never decoded (src/plugins/request-body.ts says why).
  await app.register(compress, { global: true, globalDecompression: false, threshold: 1024, encodings: ['br', 'gzip'] })
  await app.register(rateLimit, { max: config.rateLimit.max, windowMs: config.rateLimit.windowMs, redis, keyPrefix: `${config.redisKeyPrefix}:rl:` })
  // Off by default: no hook at all then. Before the routes, whose onRequest hooks it extends.
  if (config.auth.required) await app.register(auth, { auth: config.auth, prefix: '/api/v1/' })
  await app.register(requestBody)
  await app.register(presetHeaders, { origins: config.corsOrigins })
  await app.register(errors)
  await app.register(healthRoutes)
  await app.register(metricsRoute, { registry: metrics.registry, adminKey: config.adminApiKey })
  await app.register(productRoutes, { prefix: '/api/v1' })
  await app.register(validationRoutes, { prefix: '/api/v1' })

  app.addHook('onClose', async () => {
    await cache.idle()
    // Every answered validation reaches the database before the pools close.
    await writeBehind?.close(10_000)
    for (const thing of owned.reverse()) {
      await thing.close().catch((err: unknown) => app.log.warn({ err }, 'closing a dependency failed'))
    }
  })
  return app
}

/** ioredis for the rate limiter and quota counters, set up to fail fast while Redis is away. */
function createRedisCommandClient(url: string, log: FastifyBaseLogger) {
  // commandTimeout bounds a Redis that accepts connections but never answers; the offline queue and
  // retries would otherwise hold requests while it reconnects (https://github.com/fastify/fastify-rate-limit/issues/84).
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1_000, commandTimeout: 250 })
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

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    service: ValidationService
    cache: import('./cache/cache.ts').Cache
    prepared: PreparedCache
    cacheStore: CacheStoreHandle
    store: ValidationStore | undefined
    writeBehind: WriteBehind | undefined
  }
}
