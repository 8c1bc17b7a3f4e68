// Request figures kept in plain arrays, so that counting one request costs a bucket search and a few
// adds; they are turned into prom-client's exposition, or rates, only when read.

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export interface RequestSeries {
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


const WINDOW_S = 60

/** Requests and 5xx answers per second over the last minute, for the health view. */
export class RequestRates {
  #second = 0
  readonly #requests = new Float64Array(WINDOW_S)
  readonly #errors = new Float64Array(WINDOW_S)

  count(status: number, nowMs = Date.now()) {
    const slot = this.#advance(Math.floor(nowMs / 1000))
    this.#requests[slot]!++
    if (status >= 500) this.#errors[slot]!++
  }

  /** per second, averaged over the last minute */
  read(nowMs = Date.now()): { requests: number; errors: number } {
    this.#advance(Math.floor(nowMs / 1000))
    const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0)
    return { requests: sum(this.#requests) / WINDOW_S, errors: sum(this.#errors) / WINDOW_S }
  }

  /** Clears the slots of the seconds that passed without a request; returns this second's slot. */
  #advance(second: number): number {
    const passed = Math.min(WINDOW_S, second - this.#second)
    for (let i = 1; i <= passed; i++) {
      const slot = (this.#second + i) % WINDOW_S
      this.#requests[slot] = 0
      this.#errors[slot] = 0
    }
    if (passed > 0) this.#second = second
    return second % WINDOW_S
  }
}
