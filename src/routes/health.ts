import type { FastifyPluginAsync } from 'fastify'
import { errorResponses } from '../schemas/common.ts'
import { LiveSchema, ReadinessSchema } from '../schemas/health.ts'

// Liveness says the process answers; readiness also says what each dependency is doing. Nothing we
// depend on is required to answer (a dead Redis or database degrades, it does not stop us), so
// readiness fails only while the process is draining.

async function probe(check: () => Promise<unknown>, timeoutMs = 1_000): Promise<{ state: 'up' | 'down'; latencyMs: number; error?: string }> {
  const started = performance.now()
  try {
    await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in time')), timeoutMs).unref())])
    return { state: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 }
  } catch (error) {
    return { state: 'down', latencyMs: Math.round((performance.now() - started) * 10) / 10, error: (error as Error).message }
  }
}

const healthRoutes: FastifyPluginAsync = async (app) => {
  let draining = false
  app.addHook('preClose', async () => {
    draining = true
  })

  const live = async () => ({ status: 'ok' })
  const liveSchema = { summary: 'Liveness: the process answers', response: { 200: LiveSchema, ...errorResponses(429) } }
  app.get('/health', { schema: liveSchema }, live)
  app.get('/health/live', { schema: liveSchema }, live)

  const readySchema = { summary: 'Readiness, with what each dependency is doing', response: { 200: ReadinessSchema, 503: { ...ReadinessSchema, description: 'draining: the process is shutting down' }, ...errorResponses(429) } }
  app.get('/health/ready', { schema: readySchema }, async (_request, reply) => {
    const [cache, database, youtubeQuota] = await Promise.all([
      probe(() => app.cacheStore.ping()),
      app.store ? probe(() => app.store!.ping()) : Promise.resolve({ state: 'off' as const }),
      app.service.youtubeQuota(),
    ])
    const writeBehind = app.writeBehind?.stats()
    reply.code(draining ? 503 : 200).header('cache-control', 'no-store')
    return {
      status: draining ? 'draining' : cache.state === 'up' && database.state !== 'down' ? 'ready' : 'degraded',
      sandbox: app.config.sandbox,
      dependencies: {
        cache: { kind: app.cacheStore.kind, ...cache },
        database: { kind: app.store?.kind ?? 'off', ...database, queueDepth: writeBehind?.depth, failedFlushes: writeBehind?.failedFlushes },
        youtube: { quota: youtubeQuota },
      },
    }
  })
}

export default healthRoutes
