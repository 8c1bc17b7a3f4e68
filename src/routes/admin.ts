import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireAdminKey } from '../http/admin-key.ts'
import { AdminStatsSchema, ClearedSchema, InvalidatedSchema } from '../schemas/admin.ts'
import { errorResponses } from '../schemas/common.ts'
import { ProductParamsSchema } from '../schemas/product.ts'

// Cache administration for operators, behind the admin key: drop one product everywhere, drop
// everything, and see what the cache holds and how each upstream stands.
const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireAdminKey(app.config.adminApiKey, 'Admin routes'))
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
  })
  const security = [{ adminKey: [] }]

  app.delete(
    '/cache/products/:productId',
    {
      schema: {
        summary: 'Drop every cached answer about one product, in every layer of every instance',
        security,
        params: ProductParamsSchema,
        response: { 200: InvalidatedSchema, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async function invalidateProductHandler(request) {
      const { productId } = request.params
      const layers = [app.cacheStore, app.localStore].filter((layer) => layer !== undefined)
      const keys = await app.service.productKeys(productId, async (prefix) => {
        const held = await Promise.all(layers.map((layer) => layer.keysWithPrefix(prefix)))
        const prepared = [...app.prepared.keys()].filter((key) => key.startsWith(prefix))
        return [...held.flat(), ...prepared]
      })
      await app.invalidation.keys(keys)
      return { productId, invalidated: keys.length }
    },
  )

  app.post(
    '/cache/clear',
    { schema: { summary: 'Drop every cached answer, in every layer of every instance', security, response: { 200: ClearedSchema, ...errorResponses(401, 403, 429) } } },
    async function clearCacheHandler() {
      await app.invalidation.all()
      return { cleared: true as const }
    },
  )

  app.get(
    '/stats',
    { schema: { summary: 'What the cache holds, how it answered since start, the write queue and each upstream', security, response: { 200: AdminStatsSchema, ...errorResponses(401, 403, 429) } } },
    async function statsHandler() {
      const counters = app.cache.counters()
      const archive = app.service.counters()
      const lookups = counters.hits + counters.stale + counters.misses
      const rate = (n: number) => (lookups === 0 ? 0 : Math.round((n / lookups) * 1000) / 1000)
      const local = app.localStore ?? (app.cacheStore.kind === 'memory' ? app.cacheStore : undefined)
      return {
        uptimeSeconds: Math.round(process.uptime()),
        cache: {
          layers: {
            ...(local ? { local: { entries: await local.count(), bytes: local.size() } } : {}),
            ...(app.cacheStore.kind === 'redis' ? { redis: { entries: await app.cacheStore.count().catch(() => undefined), connected: app.cacheStore.connected() } } : {}),
            prepared: { entries: app.prepared.size, bytes: app.prepared.calculatedSize },
          },
          lookups: { total: lookups, hits: counters.hits, stale: counters.stale, misses: counters.misses, hitRate: rate(counters.hits), staleRate: rate(counters.stale), missRate: rate(counters.misses) },
          found: { local: counters.localHits, store: counters.storeHits, database: archive.archiveHits },
          storeErrors: counters.storeErrors + counters.storeTimeouts,
        },
        writeBehind: app.writeBehind?.stats(),
        sources: await app.sources.read(new Date()),
      }
    },
  )
}

export default adminRoutes
