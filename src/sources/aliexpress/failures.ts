import type { SourceFailure } from '../../validation/sources.ts'
import { retryAfterMs, UpstreamError, type UpstreamResponse } from '../http.ts'
import { redact } from '../redact.ts'

// What a call that went wrong says to the service: AliExpress reports most errors in a 200 body (the
// parser reads those); these are the ones the status or the transport tells.

export function isFailure(value: UpstreamResponse | SourceFailure): value is SourceFailure {
  return 'reason' in value
}

/** Status-level failures; a 2xx (and a 4xx carrying error_response) is left to the body parser. */
export function httpFailure(res: UpstreamResponse): SourceFailure | undefined {
  if (res.status === 429) {
    const failure: SourceFailure = { status: 'rate_limited', reason: 'AliExpress answered HTTP 429' }
    const wait = retryAfterMs(res.headers['retry-after'])
    if (wait !== undefined) failure.retryAfterMs = wait
    return failure
  }
  if (res.status >= 500) return { status: 'unavailable', reason: `AliExpress answered HTTP ${res.status} after ${res.attempts} attempt(s)`, outage: true }
  if (res.status >= 300 && !res.body.includes('error_response')) {
    return { status: 'unavailable', reason: `AliExpress answered HTTP ${res.status}` }
  }
  return undefined
}

export function transportFailure(err: unknown, secrets: string[]): SourceFailure {
  if (err instanceof UpstreamError) {
    if (err.code === 'UPSTREAM_TIMEOUT') return { status: 'unavailable', reason: `AliExpress timeout: no answer within the deadline (${err.attempts} attempt(s))`, outage: true }
    if (err.code === 'UPSTREAM_TOO_LARGE') return { status: 'unavailable', reason: 'AliExpress answer larger than the size cap', outage: true }
    if (err.code === 'UPSTREAM_ABORTED') return { status: 'unavailable', reason: 'AliExpress call aborted' }
    return { status: 'unavailable', reason: redact(err.message, secrets), outage: true }
  }
  return { status: 'unavailable', reason: redact(`AliExpress call failed: ${(err as Error)?.message ?? String(err)}`, secrets) }
}
