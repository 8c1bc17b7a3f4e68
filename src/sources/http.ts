import type { IncomingHttpHeaders } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { type Dispatcher, interceptors, Pool, type RetryHandler, errors as undiciErrors } from 'undici'
import { redact } from './redact.ts'

// The one place that talks HTTP to an upstream. Every source client goes through it so that pools,
// timeouts, retries, the overall deadline and credential redaction are the same for all three.

export type SourceName = 'aliexpress' | 'facebook' | 'youtube'

export interface UpstreamRequest {
  method: 'GET' | 'POST'
  /** path below the base URL's path, e.g. `/ads_archive`; may carry its own query string */
  path?: string
  query?: Record<string, string | undefined>
  /** sent as application/x-www-form-urlencoded */
  form?: Record<string, string>
  /** only idempotent calls are retried */
  idempotent: boolean
  /**
   * An answer whose body says "try again" whatever its status (AliExpress ApiCallLimit in a 200, a
   * transient Graph code on a 400, YouTube's rateLimitExceeded on a 403): the wait it announces, in ms.
   */
  retryAfterBody?: (status: number, body: string) => number | undefined
  signal?: AbortSignal
}

export interface UpstreamResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  attempts: number
  durationMs: number
}

export type UpstreamErrorCode = 'UPSTREAM_TIMEOUT' | 'UPSTREAM_NETWORK' | 'UPSTREAM_TOO_LARGE' | 'UPSTREAM_ABORTED'

/** The call produced no HTTP answer at all (after any retries). Messages never carry credentials. */
export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode
  readonly source: SourceName
  readonly attempts: number
  constructor(source: SourceName, code: UpstreamErrorCode, message: string, attempts: number) {
    super(`${source}: ${message}`)
    this.name = 'UpstreamError'
    this.code = code
    this.source = source
    this.attempts = attempts
  }
}

export interface CallEvent {
  source: SourceName
  /** the HTTP status of the last attempt, or the error code when there was none */
  outcome: number | UpstreamErrorCode
  attempts: number
  durationMs: number
  /** redacted */
  url: string
}

export interface UpstreamOptions {
  source: SourceName
  baseUrl: string
  /** overall deadline for one call, all retries and waits included */
  timeoutMs: number
  connections?: number
  maxResponseBytes?: number
  maxRetries?: number
  /** first backoff step; doubled on each retry, with full jitter added to any announced wait */
  backoffBaseMs?: number
  /** extra literal values (tokens, keys) that must never leave in a log line or an error */
  secrets?: string[]
  onCall?: (event: CallEvent) => void
}

export interface Upstream {
  readonly source: SourceName
  readonly origin: string
  request(req: UpstreamRequest): Promise<UpstreamResponse>
  close(): Promise<void>
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const base = new URL(options.baseUrl)
  const basePath = base.pathname.replace(/\/$/, '')
  const secrets = options.secrets ?? []
  const maxRetries = options.maxRetries ?? 2
  const backoffBaseMs = options.backoffBaseMs ?? 100
  const pool = new Pool(base.origin, {
    // Bounded, so a burst of misses queues here instead of opening sockets without end. A cold product
    // costs AliExpress three calls (two at once, then the freight quote): 128 lets a batch of 50 send its
    // first 100 at once. Each upstream's own rate limits and our budgets bound the call rate anyway.
    connections: options.connections ?? 128,
    // Shorter than the usual 60 s server keep-alive so we never write to a socket the server is closing.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    connect: { timeout: Math.min(3_000, options.timeoutMs) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    maxResponseSize: options.maxResponseBytes ?? 5 * 1024 * 1024,
  })
  // undici's RetryHandler retries transport errors and 429/5xx before the body is read, honouring
  // Retry-After (https://undici.nodejs.org/#/docs/api/RetryHandler); the policy below adds full jitter,
  // our deadline and our list of transient errors, per call.
  const dispatcher = pool.compose(interceptors.retry({ throwOnError: false }))

  async function request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const started = performance.now()
    const deadline = AbortSignal.timeout(options.timeoutMs)
    const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline
    const path = buildPath(basePath, req)
    const safeUrl = redact(base.origin + path, secrets)
    const body = req.form ? new URLSearchParams(req.form).toString() : undefined
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded;charset=utf-8'

    let retries = 0
    let attemptStarted = started
    /** the wait before the next attempt, or undefined when it and one more attempt would not fit before the deadline */
    const nextWait = (announcedMs: number): number | undefined => {
      if (!req.idempotent || retries >= maxRetries) return undefined
      // Full jitter on top of what the upstream asked for, so instances that failed together spread out.
      const wait = announcedMs + Math.random() * backoffBaseMs * 2 ** retries
      const now = performance.now()
      // An attempt that will not finish in time would turn the answer we have into a timeout.
      const attemptMs = Math.max(RETRY_MARGIN_MS, now - attemptStarted)
      if (wait + attemptMs >= options.timeoutMs - (now - started)) return undefined
      retries++
      attemptStarted = now + wait
      return wait
    }
    const retryOptions: RetryHandler.RetryOptions = {
      methods: req.idempotent ? [req.method] : [],
      statusCodes: RETRY_STATUSES,
      errorCodes: TRANSIENT_ERRORS,
      throwOnError: false,
      retry(err, _context, callback) {
        const { statusCode, code, headers: got } = err as Error & { statusCode?: number; code?: string; headers?: IncomingHttpHeaders }
        const transient = statusCode ? RETRY_STATUSES.includes(statusCode) : !!code && TRANSIENT_ERRORS.includes(code)
        const wait = transient && !signal.aborted ? nextWait(statusCode ? (retryAfterMs(got?.['retry-after']) ?? 0) : 0) : undefined
        if (wait === undefined) {
          callback(err)
          return undefined
        }
        return setTimeout(() => callback(null), wait)
      },
    }

    for (;;) {
      let response: UpstreamResponse | undefined
      let failure: UpstreamError | undefined
      try {
        const res = await dispatcher.request({ method: req.method, path, headers, body, signal, retryOptions } as Dispatcher.RequestOptions)
        const text = await res.body.text()
        response = { status: res.statusCode, headers: res.headers, body: text, attempts: retries + 1, durationMs: performance.now() - started }
      } catch (err) {
        failure = toUpstreamError(options.source, err, signal, deadline, retries + 1)
      }
      // What only the body tells (a throttle inside a 200, a transient Graph code on a 400) is known
      // after undici's retry handler has let the answer through, so that retry stays here.
      // Statuses undici retries are not asked again: its decision (a Retry-After past the deadline) stands.
      const announced = response && req.retryAfterBody && !RETRY_STATUSES.includes(response.status) ? req.retryAfterBody(response.status, response.body) : undefined
      const wait = announced === undefined ? undefined : nextWait(announced)
      if (wait !== undefined) {
        try {
          await sleep(wait, undefined, { signal })
          continue
        } catch {
          failure = toUpstreamError(options.source, signal.reason, signal, deadline, retries + 1)
          response = undefined
        }
      }
      const elapsed = performance.now() - started
      options.onCall?.({ source: options.source, outcome: response?.status ?? failure!.code, attempts: retries + 1, durationMs: elapsed, url: safeUrl })
      if (response) return response
      throw failure!
    }
  }

  return {
    source: options.source,
    origin: base.origin,
    request,
    close: () => pool.close(),
  }
}

// The least time a retry is given: one is only started when this, or as long as the last attempt took, is left after the wait.
const RETRY_MARGIN_MS = 50

// 501 and 505 say the server will never do it; every other 5xx and 429 may pass on a second try.
const RETRY_STATUSES = [429, 500, 502, 503, 504, 507, 508, 509, 520, 521, 522, 523, 524, 529]

// Errors of the connection, not of the request: a refused or reset connection, a socket closed under
// us, a connect timeout, a temporary DNS failure. Certificate and TLS errors and a name that does not
// exist (ENOTFOUND) are not here: a second try gets the same answer.
const TRANSIENT_ERRORS = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]

function buildPath(basePath: string, req: UpstreamRequest): string {
  const [rawPath = '', rawQuery = ''] = (req.path ?? '').split('?', 2)
  const params = new URLSearchParams(rawQuery)
  for (const [name, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined && value !== '') params.set(name, value)
  }
  const query = params.toString()
  const path = rawPath.startsWith(basePath + '/') || rawPath === basePath ? rawPath : basePath + rawPath
  return (path || '/') + (query ? `?${query}` : '')
}

export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function toUpstreamError(source: SourceName, err: unknown, signal: AbortSignal, deadline: AbortSignal, attempts: number): UpstreamError {
  if (deadline.aborted) return new UpstreamError(source, 'UPSTREAM_TIMEOUT', 'no answer within the deadline', attempts)
  if (signal.aborted) return new UpstreamError(source, 'UPSTREAM_ABORTED', 'call aborted', attempts)
  if (err instanceof undiciErrors.ResponseExceededMaxSizeError) {
    return new UpstreamError(source, 'UPSTREAM_TOO_LARGE', 'response larger than the size cap', attempts)
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamError(source, 'UPSTREAM_TIMEOUT', 'no answer within the deadline', attempts)
  }
  // Only the error's code goes out: undici messages can embed the request URL with its credentials.
  const code = (err as { code?: string })?.code ?? 'unknown'
  return new UpstreamError(source, 'UPSTREAM_NETWORK', `network error (${code})`, attempts)
}
