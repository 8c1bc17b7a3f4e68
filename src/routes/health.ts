import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fp from 'fastify-plugin'
import pkg from '../../package.json' with { type: 'json' }
import { HealthSchema, LiveSchema, ReadySchema } from '../schemas/health.ts'
import { SCORING_VERSION } from '../validation/score.ts'

// Liveness says the process answers. Readiness says whether this instance should get traffic: not
// while it starts or drains, nor while a dependency the configuration requires (Redis when REDIS_URL
// is set, the database when persistence is on) is down; it lists every dependency and upstream. The
// detailed view is for people. None of them counts against a client's rate limit: a load balancer
// probing them is no client.

const PROBE_TIMEOUT_MS = 1_000

type Probe = { state: 'up' | 'down'; latencyMs: number; error?: string }

async function probe(check: () => Promise<unknown>): Promise<Probe> {
  const started = performance.now()
  const latencyMs = () => Math.round((performance.now() - started) * 10) / 10
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS)
  })
  try {
    await Promise.race([check(), deadline])
    return { state: 'up', latencyMs: latencyMs() }
  } catch (error) {
    return { state: 'down', latencyMs: latencyMs(), error: (error as Error).message }
  } finally {
    clearTimeout(timer)
  }
}

const healthRoutes: FastifyPluginAsyncTypebox<{ phase: () => Phase }> = async (app, { phase: currentPhase }) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  const probeRoute = (summary: string, schema: object) => ({ config: { rateLimit: false }, schema: { summary, response: { 200: schema, 503: schema } } })

  app.get('/health/live', probeRoute('The process is up', LiveSchema), async function liveHandler() {
    return { status: 'ok' as const }
  })

  app.get('/health/ready', probeRoute('Whether this instance should get traffic, with each dependency', ReadySchema), async function readyHandler(_request, reply) {
    const redis = app.config.redisUrl !== undefined
    const [database, sources] = await Promise.all([app.store ? probe(() => app.store!.ping()) : undefined, app.sources.read(new Date())])
    const cache = { kind: app.cacheStore.kind, state: app.cacheStore.connected() ? ('up' as const) : ('down' as const) }
    const commands = app.redis ? { state: app.redis.status === 'ready' ? ('up' as const) : ('down' as const) } : undefined
    const requiredDown = (redis && (cache.state === 'down' || commands?.state === 'down')) || database?.state === 'down'
    const phase = currentPhase()
    const status = phase !== 'ready' ? phase : requiredDown ? 'unavailable' : 'ready'
    reply.code(status === 'ready' ? 200 : 503)
    return {
      status,
      sandbox: app.config.sandbox,
      dependencies: {
        cache,
        ...(commands ? { redis: commands } : {}),
        database: database ? { kind: app.store!.kind, ...database } : { kind: 'off' as const, state: 'off' as const },
        writeBehind: app.writeBehind?.stats(),
      },
      upstreams: sources,
    }
  })

  app.get('/health', probeRoute('The detailed view: uptime, traffic, errors, cache, memory, versions', HealthSchema), async function healthHandler() {
    const rates = app.requestRates.read()
    const c = app.cache.counters()
    const lookups = c.hits + c.stale + c.misses
    const memory = process.memoryUsage()
    const mb = (bytes: number) => Math.round(bytes / 1_048_576)
    return {
      status: 'ok' as const,
      version: pkg.version,
      scoringVersion: SCORING_VERSION,
      node: process.version,
      sandbox: app.config.sandbox,
      uptimeSeconds: Math.round(process.uptime()),
      requests: {
        perSecond: Math.round(rates.requests * 100) / 100,
        errorsPerSecond: Math.round(rates.errors * 100) / 100,
        errorRate: rates.requests === 0 ? 0 : Math.round((rates.errors / rates.requests) * 1000) / 1000,
      },
      cache: { lookups, hitRate: lookups === 0 ? 0 : Math.round(((c.hits + c.stale) / lookups) * 1000) / 1000 },
      memoryMb: { rss: mb(memory.rss), heapUsed: mb(memory.heapUsed), heapTotal: mb(memory.heapTotal), external: mb(memory.external) },
    }
  })
}

type Phase = 'starting' | 'ready' | 'draining'

/**
 * The routes, with the process's phase tracked at the root: its preClose hook runs before any other,
 * so readiness says "draining" from the first moment of a shutdown.
 */
export default fp(async function health(app) {
  let phase: Phase = 'starting'
  app.addHook('onReady', async () => {
    phase = 'ready'
  })
  app.addHook('preClose', async () => {
    phase = 'draining'
  })
  await app.register(healthRoutes, { phase: () => phase })
}, { name: 'health' })
