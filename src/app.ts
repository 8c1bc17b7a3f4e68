import compress from '@fastify/compress'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import { type Config, secretsOf } from './config.ts'
import { type AppDeps, createDependencies, type Dependencies, type Sources } from './dependencies.ts'
import { clientErrorHandler, frameworkErrors } from './http/framework-errors.ts'
import { genReqId } from './http/request-id.ts'
import presetHeaders from './http/preset-headers.ts'
import auth from './plugins/auth.ts'
import docs from './plugins/docs.ts'
import errors from './plugins/errors.ts'
import metricsPlugin, { metricsRoute } from './plugins/metrics.ts'
import rateLimit from './plugins/rate-limit.ts'
import requestBody from './plugins/request-body.ts'
import { setValidators } from './plugins/validators.ts'
import adminRoutes from './routes/admin.ts'
import healthRoutes from './routes/health.ts'
import productRoutes from './routes/products.ts'
import validationRoutes from './routes/validate.ts'
import { ErrorSchema } from './schemas/common.ts'
import { ValidationSchema } from './schemas/validation.ts'
import { redact } from './sources/redact.ts'

export type { AppDeps, Sources }

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
    // While draining, requests still arriving on open keep-alive connections are answered as usual
    // (Fastify's own 503 would not be in the API's error shape); /health/ready says "draining" so the
    // load balancer moves traffic away, and server.ts closes connections as they go idle.
    return503OnClosing: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  const app = Fastify(serverOptions(config)).withTypeProvider<TypeBoxTypeProvider>()
  const d = await createDependencies(config, deps, app.log)
  app.decorate('config', config)
  app.decorate('service', d.service)
  app.decorate('cache', d.cache)
  app.decorate('prepared', d.prepared)
  app.decorate('cacheStore', d.cacheStore)
  app.decorate('localStore', d.localStore)
  app.decorate('store', d.store)
  app.decorate('writeBehind', d.writeBehind)
  app.decorate('invalidation', d.invalidation)
  app.decorate('sources', d.sources)
  app.decorate('redis', d.redis)

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
  await app.register(metricsPlugin, { metrics: d.metrics })
  // Answers are compressed; request bodies never decoded (src/plugins/request-body.ts says why).
  await app.register(compress, { global: true, globalDecompression: false, threshold: 1024, encodings: ['br', 'gzip'] })
  await app.register(rateLimit, { ...config.rateLimit, redis: d.redis, keyPrefix: `${config.redisKeyPrefix}:rl:` })
  // Off by default: no hook at all then. Before the routes, whose onRequest hooks it extends.
  if (config.auth.required) await app.register(auth, { auth: config.auth, prefix: '/api/v1/', except: '/api/v1/admin/' })
  await app.register(requestBody)
  await app.register(presetHeaders, { origins: config.corsOrigins })
  await app.register(errors)
  // Before the routes: it documents every route registered after it.
  await app.register(docs)
  await app.register(healthRoutes)
  await app.register(metricsRoute, { registry: d.metrics.registry, adminKey: config.adminApiKey })
  await app.register(productRoutes, { prefix: '/api/v1' })
  await app.register(validationRoutes, { prefix: '/api/v1' })
  await app.register(adminRoutes, { prefix: '/api/v1/admin' })

  app.addHook('onClose', async () => {
    await d.cache.idle()
    // Every answered validation reaches the database before the pools close.
    await d.writeBehind?.close(10_000)
    await d.close()
  })
  return app
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    service: Dependencies['service']
    cache: Dependencies['cache']
    prepared: Dependencies['prepared']
    cacheStore: Dependencies['cacheStore']
    localStore: Dependencies['localStore']
    store: Dependencies['store']
    writeBehind: Dependencies['writeBehind']
    invalidation: Dependencies['invalidation']
    sources: Dependencies['sources']
    redis: Dependencies['redis']
  }
}
