import autocannon from 'autocannon'
import { LatencyRecorder, type LatencySummary } from './stats.ts'

// One autocannon run in this process: a path per request from `nextPath`, a progress line per
// second on stderr, every response time kept for exact percentiles, X-Cache counted if asked.

export interface LoadOptions {
  label: string
  baseUrl: string
  connections: number
  pipelining?: number
  /** total requests; wins over durationS */
  amount?: number
  durationS?: number
  nextPath: () => string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  countXCache?: boolean
  /** per request, seconds */
  timeoutS?: number
  /** requests per second across all connections (autocannon sends each second's share in bursts) */
  overallRate?: number
  log: (line: string) => void
}

export interface LoadOutcome {
  requests: number
  durationS: number
  reqPerSec: number
  latency: LatencySummary
  errors: number
  timeouts: number
  non2xx: number
  statusCodes: Record<string, number>
  xCache?: Record<string, number>
}

export function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  const recorder = new LatencyRecorder()
  const xCache: Record<string, number> = {}
  const statusCodes: Record<string, number> = {}
  const countHeaders = (info: { headers?: string[] }) => {
    const headers = info.headers ?? []
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i]!.length === 7 && headers[i]!.toLowerCase() === 'x-cache') {
        const value = headers[i + 1]!
        xCache[value] = (xCache[value] ?? 0) + 1
        return
      }
    }
    xCache.none = (xCache.none ?? 0) + 1
  }
  const settings = {
    url: options.baseUrl,
    connections: options.connections,
    pipelining: options.pipelining ?? 1,
    timeout: options.timeoutS ?? 10,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
    headers: options.headers,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: options.method ?? 'GET',
        body: options.body,
        setupRequest: (request: { path: string }) => {
          request.path = options.nextPath()
          return request
        },
      },
    ],
    ...(options.countXCache ? { setupClient: (client: { on(event: 'headers', fn: (info: { headers?: string[] }) => void): void }) => client.on('headers', countHeaders) } : {}),
  }
  return new Promise<LoadOutcome>((resolve, reject) => {
    const started = performance.now()
    // autocannon notices the end of an `amount` run only at its next 1 s sample: time the run
    // up to the last response instead, or short runs read up to a second slow.
    let lastResponseAt = started
    let printed = 0
    let seconds = 0
    const instance = autocannon(settings as autocannon.Options, (err, result) => {
      if (err) return reject(err)
      const durationS = Math.max(0.001, (lastResponseAt - started) / 1000)
      for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {}) as [string, { count: number }][]) statusCodes[code] = count
      const responses = recorder.count
      resolve({
        requests: responses,
        durationS,
        reqPerSec: responses / durationS,
        latency: recorder.summary(),
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        statusCodes,
        ...(options.countXCache ? { xCache } : {}),
      })
    })
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      recorder.record(ms)
      lastResponseAt = performance.now()
    })
    instance.on('tick', () => {
      seconds++
      const total = recorder.count
      if (total === printed && seconds > 1) return
      options.log(`[${options.label}] ${seconds}s ${total - printed} responses in the last second, ${total} in all`)
      printed = total
    })
  })
}
