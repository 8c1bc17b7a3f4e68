import type { IncomingHttpHeaders } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { errors as undiciErrors, Pool } from 'undici'

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
  /** a 2xx body that is really a throttling answer (AliExpress ApiCallLimit): return a delay to retry */
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
  /** first backoff step; doubled on each retry, with full jitter */
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

const SECRET_PARAMS = ['access_token', 'key', 'sign', 'app_secret', 'session', 'app_key', 'client_secret']

/** Replaces credential parameters and known secret values in a URL or any text. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(
    new RegExp(`([?&;]|%26|\\b)(${SECRET_PARAMS.join('|')})(=|%3D)[^&#\\s"']*`, 'gi'),
    (_m, pre: string, name: string, eq: string) => `${pre}${name}${eq}[REDACTED]`,
  )
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]')
  }
  return out
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const base = new URL(options.baseUrl)
  const basePath = base.pathname.replace(/\/$/, '')
  const secrets = options.secrets ?? []
  const maxRetries = options.maxRetries ?? 2
  const backoffBaseMs = options.backoffBaseMs ?? 100
  const pool = new Pool(base.origin, {
    // Enough for a batch of 50 to go out at once; each upstream's own rate limits bound us anyway.
    connections: options.connections ?? 64,
    // Shorter than the usual 60 s server keep-alive so we never write to a socket the server is closing.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    connect: { timeout: Math.min(3_000, options.timeoutMs) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    maxResponseSize: options.maxResponseBytes ?? 5 * 1024 * 1024,
  })

  async function request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const started = performance.now()
    const deadline = AbortSignal.timeout(options.timeoutMs)
    const signal = req.signal ? AbortSignal.any([deadline, req.signal]) : deadline
    const path = buildPath(basePath, req)
    const safeUrl = redact(base.origin + path, secrets)
    const body = req.form ? new URLSearchParams(req.form).toString() : undefined
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded;charset=utf-8'

    let attempts = 0
    for (;;) {
      attempts++
      let response: UpstreamResponse | undefined
      let failure: UpstreamError | undefined
      try {
        const res = await pool.request({ method: req.method, path, headers, body, signal })
        const text = await res.body.text()
        response = { status: res.statusCode, headers: res.headers, body: text, attempts, durationMs: performance.now() - started }
      } catch (err) {
        failure = toUpstreamError(options.source, err, signal, deadline, attempts)
      }

      const elapsed = performance.now() - started
      const remaining = options.timeoutMs - elapsed
      const wait = response ? retryDelay(response, req) : failure?.code === 'UPSTREAM_NETWORK' && req.idempotent ? 0 : undefined
      if (wait !== undefined && req.idempotent && attempts <= maxRetries) {
        const backoff = Math.max(wait, Math.random() * backoffBaseMs * 2 ** (attempts - 1))
        if (backoff < remaining - 50) {
          try {
            await sleep(backoff, undefined, { signal })
            continue
          } catch {
            failure = toUpstreamError(options.source, signal.reason, signal, deadline, attempts)
            response = undefined
          }
        }
      }
      options.onCall?.({ source: options.source, outcome: response?.status ?? failure!.code, attempts, durationMs: elapsed, url: safeUrl })
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

/** How long to wait before retrying this answer, or undefined when it must not be retried. */
function retryDelay(res: UpstreamResponse, req: UpstreamRequest): number | undefined {
  if (res.status === 429 || res.status >= 500) return retryAfterMs(res.headers['retry-after']) ?? 0
  if (res.status < 300 && req.retryAfterBody) return req.retryAfterBody(res.status, res.body)
  return undefined
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
