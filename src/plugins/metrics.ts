import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, onResponseHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import Type from 'typebox'
import { AppError } from '../errors.ts'
import { errorResponses } from '../schemas/common.ts'

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

function sameKey(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

interface RequestSeries {
  labels: { method: string; route: string; status: number }
  /** per bucket, not cumulative; the last slot is +Inf */
  counts: Float64Array
  sum: number
  count: number
}

/**
 * The request-latency histogram, counted in plain arrays and turned into prom-client's exposition only
 * when /metrics is scraped. prom-client's own observe() validates and hashes the labels on every call,
 * which showed up on the cached GET; this keeps the same output for a bucket search and three adds.
 */
export class RequestHistogram {
  readonly name = 'dropforge_http_request_seconds'
  readonly help = 'HTTP requests by route and status'
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #series: RequestSeries[] = []

  series(method: string, route: string, status: number): RequestSeries {
    const series = { labels: { method, route, status }, counts: new Float64Array(REQUEST_BUCKETS.length + 1), sum: 0, count: 0 }
    this.#series.push(series)
    return series
  }

  observe(series: RequestSeries, seconds: number) {
    let i = 0
    while (i < REQUEST_BUCKETS.length && seconds > REQUEST_BUCKETS[i]!) i++
    series.counts[i]!++
    series.sum += seconds
    series.count++
  }

  /** What prom-client's Registry reads from a metric (the shape of its Histogram.get()). */
  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = []
    for (const { labels, counts, sum, count } of this.#series) {
      let cumulative = 0
      REQUEST_BUCKETS.forEach((le, i) => {
        cumulative += counts[i]!
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` })
      values.push({ labels, value: sum, metricName: `${this.name}_sum` })
      values.push({ labels, value: count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  reset() {
    for (const series of this.#series) {
      series.counts.fill(0)
      series.sum = 0
      series.count = 0
    }
  }
}

async function metricsPlugin(app: FastifyInstance, options: { metrics: Metrics }) {
  const { registry } = options.metrics
  const requests = new RequestHistogram()
  registry.registerMetric(requests as unknown as Histogram)
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
  app.get('/metrics', { config: { rateLimit: false }, schema }, async (request, reply) => {
    if (!options.adminKey) throw new AppError('FORBIDDEN', 'Metrics are disabled: ADMIN_API_KEY is not set')
    if (!sameKey(request.headers['x-admin-key'], options.adminKey)) throw new AppError('UNAUTHORIZED', 'A valid x-admin-key header is required')
    reply.header('content-type', options.registry.contentType).header('cache-control', 'no-store')
    return options.registry.metrics()
  })
}

export default fp(metricsPlugin, { name: 'metrics' })

declare module 'fastify' {
  interface FastifyInstance {
    /** the onResponse hook that counts answers of the not-found handler */
    notFoundMetrics?: onResponseHookHandler
  }
}
