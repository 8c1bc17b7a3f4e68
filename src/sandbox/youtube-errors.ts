import type { Behaviour, FaultMode, SandboxReply } from './behaviour.ts'

// Google's error envelopes (https://developers.google.com/youtube/v3/docs/errors), and Google's own
// answer for every injected fault mode, so the client is tested on what it will really see.

export function googleError(status: number, reason: string, domain: string, message: string, extra: Record<string, string> = {}): SandboxReply {
  return {
    status,
    body: JSON.stringify({ error: { code: status, message, errors: [{ message, domain, reason, ...extra }] } }, null, 2),
  }
}

/** A 400 invalidParameter, naming the query parameter at fault when there is one. */
export function invalidParameter(message: string, location?: string): SandboxReply {
  return googleError(400, 'invalidParameter', 'youtube.parameter', message, location ? { locationType: 'parameter', location } : {})
}

// Exactly the bytes Google sends (test/fixtures/youtube/error-quota.json), link and \u003c escapes and all.
const QUOTA_MESSAGE = 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.'
export function quotaExceeded(): SandboxReply {
  const body = JSON.stringify(
    { error: { code: 403, message: QUOTA_MESSAGE, errors: [{ message: QUOTA_MESSAGE, domain: 'youtube.quota', reason: 'quotaExceeded' }] } },
    null,
    2,
  )
  return { status: 403, body: body.replace(/</g, '\\u003c').replace(/>/g, '\\u003e') }
}

export function youtubeFault(mode: FaultMode, behaviour: Behaviour): SandboxReply | undefined {
  switch (mode) {
    case 'quota':
      return quotaExceeded()
    case 'rate_limit': {
      const reply = googleError(429, 'rateLimitExceeded', 'usageLimits', 'The request cannot be completed due to rate limiting. Please retry later.')
      return { ...reply, headers: { 'retry-after': String(behaviour.retryAfterSeconds) } }
    }
    case 'error':
    case 'http503':
      return googleError(503, 'backendError', 'global', 'The service is currently unavailable.')
    case 'http500':
      return googleError(500, 'internalError', 'global', 'Internal error encountered.')
    case 'html':
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=UTF-8' },
        body: '<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error 502 (Server Error)!!1</title><p><b>502.</b> <ins>That\u2019s an error.</ins></html>',
      }
    case 'truncated':
      return { status: 200, body: '{\n  "kind": "youtube#searchListResponse",\n  "etag": "Q2h1bmtlZA",\n  "items": [\n    {\n      "kind": "youtube#sea' }
    case 'timeout':
    case 'http429':
      return undefined
  }
}
