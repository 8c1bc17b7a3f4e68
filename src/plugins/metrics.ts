import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { requireAdminKey } from '../http/admin-key.ts'
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

  new Gauge({
    name: 'dropforge_cache_events',
    help: 'Cache lookups since start, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      const c = app.cache.counters()
      for (const [outcome, value] of Object.entries(c)) this.set({ outcome }, value)
    },
  })
  new Gauge({
    name: 'dropforge_cache_bytes',
    help: 'Bytes held by the in-process cache layers',
    labelNames: ['layer'] as const,
    registers: [registry],
    collect() {
      this.set({ layer: 'prepared' }, app.prepared.calculatedSize)
      const size = app.cacheStore.size()
      if (size !== undefined) this.set({ layer: 'entries' }, size)
    },
  })
  new Gauge({
    name: 'dropforge_write_behind',
    help: 'Write-behind queue: depth, rows written, failed flushes, dropped rows',
    labelNames: ['stat'] as const,
    registers: [registry],
    collect() {
      const stats = app.writeBehind?.stats()
      if (!stats) return
      this.set({ stat: 'depth' }, stats.depth)
      this.set({ stat: 'written' }, stats.written)
      this.set({ stat: 'failed_flushes' }, stats.failedFlushes)
      this.set({ stat: 'dropped' }, stats.dropped)
    },
  })
  new Gauge({
    name: 'dropforge_cache_layer_hits',
    help: 'Answers found since start by the layer that held them: local (this instance), store (memory or redis), database (stored validations)',
    labelNames: ['layer'] as const,
    registers: [registry],
    collect() {
      const c = app.cache.counters()
      this.set({ layer: 'local' }, c.localHits)
      this.set({ layer: app.cacheStore.kind }, c.storeHits)
      this.set({ layer: 'database' }, app.service.counters().archiveHits)
    },
  })
  new Gauge({
    name: 'dropforge_cache_entries',
    help: 'Entries held by the in-process cache layers',
    labelNames: ['layer'] as const,
    registers: [registry],
    async collect() {
      this.set({ layer: 'prepared' }, app.prepared.size)
      const local = app.localStore ?? (app.cacheStore.kind === 'memory' ? app.cacheStore : undefined)
      if (local) this.set({ layer: 'local' }, await local.count())
    },
  })
  const sourceGauge = (name: string, help: string, labelNames: string[], read: (gauge: Gauge, states: Awaited<ReturnType<typeof app.sources.read>>) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset()
        read(this, await app.sources.read(new Date()))
      },
    })
  const CIRCUIT = { closed: 0, half_open: 1, open: 2 } as const
  sourceGauge('dropforge_source_circuit', 'Circuit breaker per upstream: 0 closed, 1 half open, 2 open', ['source'], (gauge, states) => {
    for (const [source, state] of Object.entries(states)) gauge.set({ source }, CIRCUIT[state.circuit])
  })
  sourceGauge('dropforge_source_budget_left', 'What is left of each upstream budget we count (calls, units or percent)', ['source', 'budget'], (gauge, states) => {
    for (const [source, state] of Object.entries(states)) {
      for (const budget of state.budgets) gauge.set({ source, budget: budget.name }, Math.max(0, budget.limit - budget.used))
    }
  })
  sourceGauge('dropforge_source_paused', '1 while an upstream asked us to slow down and calls are paused', ['source'], (gauge, states) => {
    for (const [source, state] of Object.entries(states)) gauge.set({ source }, state.pausedUntil ? 1 : 0)
  })
  new Gauge({
    name: 'dropforge_database_pool',
    help: 'Database connection pool (PostgreSQL only): total, idle and waiting clients',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = app.store?.pool?.()
      if (!pool) return
      this.set({ state: 'total' }, pool.total)
      this.set({ state: 'idle' }, pool.idle)
      this.set({ state: 'waiting' }, pool.waiting)
    },
  })

}

/** GET /metrics in the Prometheus text format, for holders of the admin key. */
export async function metricsRoute(app: FastifyInstance, options: { registry: Registry; adminKey?: string }) {
  app.get('/metrics', { config: { rateLimit: false }, onRequest: requireAdminKey(options.adminKey, 'Metrics') }, async function metricsHandler(_request, reply) {
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
