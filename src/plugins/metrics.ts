import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import Type from 'typebox'
import { requireAdminKey } from '../http/admin-key.ts'
import { errorResponses } from '../schemas/common.ts'
import { RequestHistogram, RequestRates, type RequestSeries } from './request-stats.ts'

// Prometheus metrics. Per request this is one histogram observation keyed by the route pattern (not
// the URL, so cardinality stays bounded); everything else is read when /metrics is scraped.

export interface Metrics {
  registry: Registry
  /** one upstream call, retries included: `outcome` is its HTTP status or error code */
  upstreamCall(source: string, outcome: number | string, durationMs: number): void
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 })
  const upstreamCalls = new Counter({
    name: 'dropforge_upstream_calls_total',
    help: 'Upstream calls by source and outcome (HTTP status or error code)',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  })
  const upstreamSeconds = new Histogram({
    name: 'dropforge_upstream_call_seconds',
    help: 'Upstream call latency, retries included',
    labelNames: ['source'] as const,
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2, 4, 8],
    registers: [registry],
  })
  return {
    registry,
    upstreamCall(source, outcome, durationMs) {
      upstreamCalls.inc({ source, outcome: String(outcome) })
      upstreamSeconds.observe({ source }, durationMs / 1000)
    },
  }
}

async function metricsPlugin(app: FastifyInstance, options: { metrics: Metrics }) {
  const { registry } = options.metrics
  const requests = new RequestHistogram()
  // prom-client's Registry reads any object with its metric shape; its types name only its own classes.
  registry.registerMetric(requests as unknown as Histogram)
  const rates = new RequestRates()
  app.decorate('requestRates', rates)
  // One onResponse hook per route, holding its own series by status: nothing is looked up per request
  // but the status (request.routeOptions would build an object on every call).
  const observer = (route: string, method?: string): onResponseHookHandler => {
    const byStatus = new Map<number | string, RequestSeries>()
    return (request, reply, done) => {
      const key = method ? reply.statusCode : `${request.method} ${reply.statusCode}`
      let series = byStatus.get(key)
      if (!series) {
        series = requests.series(method ?? request.method, route, reply.statusCode)
        byStatus.set(key, series)
      }
      requests.observe(series, reply.elapsedTime / 1000)
      rates.count(reply.statusCode)
      done()
    }
  }
  app.addHook('onRoute', (route) => {
    const hook = observer(route.url, typeof route.method === 'string' ? route.method : undefined)
    route.onResponse = route.onResponse ? [route.onResponse].flat().concat(hook) : hook
  })
  app.decorate('notFoundMetrics', observer('unknown'))

  // Every gauge below is read when /metrics is scraped: `read` gives label values and numbers.
  type Sample = [labels: Record<string, string>, value: number]
  const gauge = (name: string, help: string, labelNames: string[], read: () => Sample[] | Promise<Sample[]>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset()
        for (const [labels, value] of await read()) this.set(labels, value)
      },
    })
  const each = <R extends object>(record: R, sample: (key: string, value: R[keyof R]) => Sample[]): Sample[] =>
    Object.entries(record).flatMap(([k, v]) => sample(k, v as R[keyof R]))

  gauge('dropforge_cache_events', 'Cache lookups since start, by outcome', ['outcome'], () => each(app.cache.counters(), (outcome, n) => [[{ outcome }, n]]))
  gauge('dropforge_cache_layer_hits', 'Answers found since start by the layer that held them: local (this instance), memory or redis (the store), database (stored validations)', ['layer'], () => {
    const c = app.cache.counters()
    return [[{ layer: 'local' }, c.localHits], [{ layer: app.cacheStore.kind }, c.storeHits], [{ layer: 'database' }, app.service.counters().archiveHits]]
  })
  gauge('dropforge_cache_bytes', 'Bytes held by the in-process cache layers', ['layer'], () => {
    const size = app.cacheStore.size()
    return [[{ layer: 'prepared' }, app.prepared.calculatedSize], ...(size === undefined ? [] : [[{ layer: 'entries' }, size] as Sample])]
  })
  gauge('dropforge_cache_entries', 'Entries held by the in-process cache layers', ['layer'], async () => {
    const local = app.localStore ?? (app.cacheStore.kind === 'memory' ? app.cacheStore : undefined)
    return [[{ layer: 'prepared' }, app.prepared.size], ...(local ? [[{ layer: 'local' }, await local.count()] as Sample] : [])]
  })
  gauge('dropforge_write_behind', 'Write-behind queue: depth, rows written, failed flushes, dropped rows', ['stat'], () => {
    const s = app.writeBehind?.stats()
    return s ? each({ depth: s.depth, written: s.written, failed_flushes: s.failedFlushes, dropped: s.dropped }, (stat, n) => [[{ stat }, n]]) : []
  })
  gauge('dropforge_database_pool', 'Database connection pool (PostgreSQL only): total, idle and waiting clients', ['state'], () => {
    const pool = app.store?.pool?.()
    return pool ? each(pool, (state, n) => [[{ state }, n]]) : []
  })
  const CIRCUIT = { closed: 0, half_open: 1, open: 2 } as const
  const sources = async () => app.sources.read(new Date())
  gauge('dropforge_source_circuit', 'Circuit breaker per upstream: 0 closed, 1 half open, 2 open', ['source'], async () =>
    each(await sources(), (source, state) => [[{ source }, CIRCUIT[state.circuit]]]),
  )
  gauge('dropforge_source_budget_used', 'What each upstream budget we count has spent (calls, units or percent)', ['source', 'budget'], async () =>
    each(await sources(), (source, state) => state.budgets.map((b): Sample => [{ source, budget: b.name }, b.used])),
  )
  gauge('dropforge_source_budget_limit', 'The size of each upstream budget we count', ['source', 'budget'], async () =>
    each(await sources(), (source, state) => state.budgets.map((b): Sample => [{ source, budget: b.name }, b.limit])),
  )
  gauge('dropforge_source_paused_seconds', 'Seconds until calls resume, while an upstream asked us to slow down (0 otherwise)', ['source'], async () => {
    const now = Date.now()
    return each(await sources(), (source, state) => [[{ source }, state.pausedUntil ? Math.max(0, Math.ceil((Date.parse(state.pausedUntil) - now) / 1000)) : 0]])
  })
}

/** GET /metrics in the Prometheus text format, for holders of the admin key. */
export async function metricsRoute(app: FastifyInstance, options: { registry: Registry; adminKey?: string }) {
  const schema = {
    summary: 'Prometheus metrics, for holders of the admin key',
    response: {
      200: { description: 'the Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } },
      ...errorResponses(401, 403),
    },
  }
  app.get('/metrics', { config: { rateLimit: false }, schema, onRequest: requireAdminKey(options.adminKey, 'Metrics') }, async function metricsHandler(_request, reply) {
    reply.header('content-type', options.registry.contentType).header('cache-control', 'no-store')
    return options.registry.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })

declare module 'fastify' {
  interface FastifyInstance {
    /** the onResponse hook that counts answers of the not-found handler */
    notFoundMetrics?: onResponseHookHandler
    /** requests and 5xx answers per second over the last minute */
    requestRates: RequestRates
  }
}
