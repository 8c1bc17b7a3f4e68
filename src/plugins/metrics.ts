import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { errorBody } from '../errors.ts'
import type { CallEvent } from '../sources/http.ts'

// Prometheus metrics. Per request this is one histogram observation keyed by the route pattern (not
// the URL, so cardinality stays bounded); everything else is read when /metrics is scraped.

export interface Metrics {
  registry: Registry
  upstreamCall(event: CallEvent): void
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
    upstreamCall(event) {
      upstreamCalls.inc({ source: event.source, outcome: String(event.outcome) })
      upstreamSeconds.observe({ source: event.source }, event.durationMs / 1000)
    },
  }
}

function sameKey(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

async function metricsPlugin(app: FastifyInstance, options: { metrics: Metrics }) {
  const { registry } = options.metrics
  const requests = new Histogram({
    name: 'dropforge_http_request_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  // One bound child per (method, route, status): observing through it skips hashing the labels on
  // every request. The set is small and bounded by the routes.
  const series = new Map<string, ReturnType<typeof requests.labels>>()
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unknown'
    const key = `${request.method} ${route} ${reply.statusCode}`
    let child = series.get(key)
    if (!child) {
      child = requests.labels({ method: request.method, route, status: reply.statusCode })
      series.set(key, child)
    }
    child.observe(reply.elapsedTime / 1000)
    done()
  })

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

}

/** GET /metrics in the Prometheus text format, for holders of the admin key. */
export async function metricsRoute(app: FastifyInstance, options: { registry: Registry; adminKey?: string }) {
  app.get('/metrics', { config: { rateLimit: false } }, async (request, reply) => {
    if (!options.adminKey) return reply.code(403).send(errorBody('FORBIDDEN', 'Metrics are disabled: ADMIN_API_KEY is not set'))
    if (!sameKey(request.headers['x-admin-key'], options.adminKey)) {
      return reply.code(401).send(errorBody('UNAUTHORIZED', 'A valid x-admin-key header is required'))
    }
    reply.header('content-type', options.registry.contentType).header('cache-control', 'no-store')
    return options.registry.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })
