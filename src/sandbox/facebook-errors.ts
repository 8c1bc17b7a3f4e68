import { randomBytes } from 'node:crypto'
import type { Behaviour, FaultMode, SandboxReply } from './behaviour.ts'

// Graph API errors as Meta sends them: HTTP 400 with an OAuthException body and a numeric code
// (https://developers.facebook.com/docs/graph-api/guides/error-handling), and throttling as code 4
// with usage headers (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).

export function graphError(code: number, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: randomBytes(9).toString('base64url') } })
}

export const badParam = (message: string): SandboxReply => ({ status: 400, body: graphError(100, `(#100) ${message}`) })

export function invalidToken(): SandboxReply {
  return {
    status: 400,
    headers: { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token"' },
    body: graphError(190, 'Invalid OAuth access token - Cannot parse access token', { error_subcode: 460 }),
  }
}

function rateLimited(extraHeaders: Record<string, string>): SandboxReply {
  return {
    status: 400,
    headers: {
      'www-authenticate': 'OAuth "Facebook Platform" "invalid_request" "(#4) Application request limit reached"',
      'x-app-usage': JSON.stringify({ call_count: 100, total_time: 70, total_cputime: 50 }),
      ...extraHeaders,
    },
    body: graphError(4, '(#4) Application request limit reached', { is_transient: true }),
  }
}

export function facebookFault(mode: FaultMode, behaviour: Behaviour): SandboxReply | undefined {
  switch (mode) {
    case 'rate_limit':
      return rateLimited({})
    case 'quota': {
      // Business-use-case throttling says when access comes back, in minutes.
      const minutes = Math.max(1, Math.ceil(behaviour.retryAfterSeconds / 60))
      const usage = { '1234567890': [{ type: 'ads_archive', call_count: 100, total_cputime: 40, total_time: 60, estimated_time_to_regain_access: minutes }] }
      return rateLimited({ 'x-business-use-case-usage': JSON.stringify(usage) })
    }
    case 'error':
      return { status: 500, body: graphError(2, 'Service temporarily unavailable', { is_transient: true }) }
    default:
      return undefined
  }
}

/** X-App-Usage: the share of the app's hourly call budget spent, which every Graph answer carries. */
export function appUsageMeter(callsPerHour: number): { count(): void; header(): string } {
  const served: number[] = []
  return {
    count: () => served.push(Date.now()),
    header() {
      const since = Date.now() - 3_600_000
      while (served.length > 0 && served[0]! < since) served.shift()
      const percent = Math.min(100, Math.floor((served.length * 100) / callsPerHour))
      return JSON.stringify({ call_count: percent, total_time: Math.floor(percent * 0.7), total_cputime: Math.floor(percent * 0.5) })
    },
  }
}
