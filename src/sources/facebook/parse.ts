import type { IncomingHttpHeaders } from 'node:http'
import { retryAfterMs } from '../http.ts'
import type { FacebookAdStats, SourceFailure } from '../../validation/sources.ts'

// Pure functions over the Ad Library's wire format (https://developers.facebook.com/docs/graph-api/reference/ads_archive/):
// page parsing, the Graph error table (https://developers.facebook.com/docs/graph-api/guides/error-handling), the usage headers and the statistics. No I/O here, no clock reads.

const DAY_MS = 86_400_000

/** The fields of an archived ad this service asks for; everything the Graph sends may be missing. */
export interface ArchivedAd {
  id?: string
  page_id?: string
  page_name?: string
  ad_creation_time?: string
  ad_delivery_start_time?: string
  ad_delivery_stop_time?: string
  publisher_platforms?: string[]
}

export interface AdsPage {
  ads: ArchivedAd[]
  next?: string
  after?: string
}

export interface GraphError {
  message: string
  type?: string
  code: number
  error_subcode?: number
  is_transient?: boolean
}

/** `X-App-Usage`: percent of the app's rolling one-hour budget; Meta throttles at 100. */
export interface AppUsage {
  callCount: number
  totalTime: number
  totalCputime: number
}

export type ParsedBody = { kind: 'page'; page: AdsPage } | { kind: 'graph_error'; error: GraphError } | { kind: 'malformed'; why: string }

export function parseBody(body: string): ParsedBody {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return { kind: 'malformed', why: body.trimStart().startsWith('<') ? 'an HTML page instead of JSON' : 'invalid or truncated JSON' }
  }
  if (!isObject(json)) return { kind: 'malformed', why: 'a JSON body that is not an object' }
  if (isObject(json.error)) {
    const e = json.error
    const code = typeof e.code === 'number' ? e.code : Number(e.code)
    if (Number.isFinite(code)) {
      return {
        kind: 'graph_error',
        error: {
          message: typeof e.message === 'string' ? e.message : '',
          type: typeof e.type === 'string' ? e.type : undefined,
          code,
          error_subcode: typeof e.error_subcode === 'number' ? e.error_subcode : undefined,
          is_transient: e.is_transient === true,
        },
      }
    }
    return { kind: 'malformed', why: 'an error object without a Graph code' }
  }
  if (!Array.isArray(json.data)) return { kind: 'malformed', why: 'a body without a data array' }
  const ads = json.data.filter(isObject).map(toArchivedAd)
  const paging = isObject(json.paging) ? json.paging : {}
  const cursors = isObject(paging.cursors) ? paging.cursors : {}
  return {
    kind: 'page',
    page: {
      ads,
      next: typeof paging.next === 'string' && paging.next !== '' ? paging.next : undefined,
      after: typeof cursors.after === 'string' && cursors.after !== '' ? cursors.after : undefined,
    },
  }
}

function toArchivedAd(raw: Record<string, unknown>): ArchivedAd {
  const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined)
  return {
    id: str(raw.id),
    page_id: str(raw.page_id),
    page_name: str(raw.page_name),
    ad_creation_time: str(raw.ad_creation_time),
    ad_delivery_start_time: str(raw.ad_delivery_start_time),
    ad_delivery_stop_time: str(raw.ad_delivery_stop_time),
    publisher_platforms: Array.isArray(raw.publisher_platforms) ? raw.publisher_platforms.filter((p) => typeof p === 'string') : undefined,
  }
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/
// Graph writes offsets without a colon ("2024-05-01T12:34:56+0000"); a datetime without one is UTC.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/

/** Epoch ms of a Graph date ('YYYY-MM-DD' as UTC midnight, or an ISO datetime), or undefined. */
export function parseGraphDate(value: string | undefined): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (DATE_ONLY.test(text)) {
    const ms = Date.parse(`${text}T00:00:00Z`)
    return Number.isNaN(ms) ? undefined : ms
  }
  const m = DATE_TIME.exec(text)
  if (!m) return undefined
  const zone = m[3] === undefined || m[3] === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3]
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`)
  return Number.isNaN(ms) ? undefined : ms
}

/**
 * The statistics the scoring uses. Ages are whole days (floored) since delivery started, or since
 * creation when Graph gave no start; a start after `now` counts as 0 days. The median of an even
 * count is the rounded mean of the two middle ages.
 */
export function summarizeAds(ads: readonly ArchivedAd[], now: Date, truncated: boolean): FacebookAdStats {
  const nowMs = now.getTime()
  const seen = new Set<string>()
  const advertisers = new Set<string>()
  const ages: number[] = []
  let activeAds = 0
  for (const ad of ads) {
    // Cursors are not durable: an ad that moves between pages can come back twice.
    if (ad.id !== undefined) {
      if (seen.has(ad.id)) continue
      seen.add(ad.id)
    }
    activeAds++
    if (ad.page_id) advertisers.add(ad.page_id)
    const started = parseGraphDate(ad.ad_delivery_start_time) ?? parseGraphDate(ad.ad_creation_time)
    if (started !== undefined) ages.push(Math.max(0, Math.floor((nowMs - started) / DAY_MS)))
  }
  ages.sort((a, b) => a - b)
  return {
    activeAds,
    advertisers: advertisers.size,
    medianAdAgeDays: median(ages),
    longestRunningAdDays: ages.length > 0 ? ages[ages.length - 1]! : null,
    newAdsLast7Days: ages.filter((age) => age < 7).length,
    truncated,
  }
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2)
}

export function parseAppUsage(header: string | string[] | undefined): AppUsage | undefined {
  const json = parseJsonHeader(header)
  if (!isObject(json)) return undefined
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
  const callCount = num(json.call_count)
  const totalTime = num(json.total_time)
  const totalCputime = num(json.total_cputime)
  // Meta leaves keys out until "enough calls have been made"; no key at all means nothing to keep.
  if (callCount === undefined && totalTime === undefined && totalCputime === undefined) return undefined
  return { callCount: callCount ?? 0, totalTime: totalTime ?? 0, totalCputime: totalCputime ?? 0 }
}

/** The numbers every entry of `X-Business-Use-Case-Usage` gives under `name` (one entry per business use case). */
function businessUseCaseValues(header: string | string[] | undefined, names: readonly string[]): number[] {
  const json = parseJsonHeader(header)
  if (!isObject(json)) return []
  const entries = Object.values(json).flatMap((list) => (Array.isArray(list) ? list.filter(isObject) : []))
  return entries.flatMap((entry) => names.map((name) => entry[name])).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
}

/** The highest of call_count, total_time and total_cputime over every `X-Business-Use-Case-Usage` entry, in percent. */
export function businessUseCasePercent(header: string | string[] | undefined): number | undefined {
  const values = businessUseCaseValues(header, ['call_count', 'total_time', 'total_cputime'])
  return values.length === 0 ? undefined : Math.max(0, ...values)
}

/** The longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`, in ms. */
export function businessUseCaseWaitMs(header: string | string[] | undefined): number | undefined {
  const minutes = businessUseCaseValues(header, ['estimated_time_to_regain_access']).filter((m) => m > 0)
  return minutes.length === 0 ? undefined : Math.max(...minutes) * 60_000
}

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613])

/** Graph's throttling codes (https://developers.facebook.com/docs/graph-api/overview/rate-limiting). */
export function isThrottleCode(code: number): boolean {
  return RATE_LIMIT_CODES.has(code) || (code >= 80000 && code <= 80014)
}

/**
 * For createUpstream's retryAfterBody: codes 1 and 2 and `is_transient: true` are worth a retry with
 * backoff whatever the HTTP status (https://developers.facebook.com/docs/graph-api/guides/error-handling);
 * a throttle is not, even when marked transient: it pauses every Meta call instead.
 */
export function graphRetryDelay(_status: number, body: string): number | undefined {
  if (!body.includes('"error"')) return undefined
  const parsed = parseBody(body)
  if (parsed.kind !== 'graph_error' || isThrottleCode(parsed.error.code)) return undefined
  const { code, is_transient } = parsed.error
  return code === 1 || code === 2 || is_transient ? 0 : undefined
}
const TOKEN_CODES = new Set([102, 104, 190])

/** Graph errors by `error.code`, never by HTTP status: Graph sends throttling as HTTP 400. */
export function graphErrorToFailure(error: GraphError, headers: IncomingHttpHeaders, redactText: (text: string) => string): SourceFailure {
  const code = error.code
  const label = `Graph code ${code}${error.error_subcode ? `, subcode ${error.error_subcode}` : ''}`
  const message = redactText(error.message.replace(/^\(#\d+\)\s*/, '')).slice(0, 200)
  if (isThrottleCode(code)) {
    const wait = businessUseCaseWaitMs(headers['x-business-use-case-usage']) ?? retryAfterMs(headers['retry-after'])
    return { status: 'rate_limited', reason: `Meta Ad Library rate limit reached (${label})`, ...(wait !== undefined ? { retryAfterMs: wait } : {}) }
  }
  if (TOKEN_CODES.has(code)) {
    return { status: 'not_configured', reason: `Meta access token is invalid or expired (${label})` }
  }
  if (code === 10 || (code >= 200 && code <= 299)) {
    return { status: 'not_configured', reason: `Meta app lacks permission for the Ad Library API (${label})` }
  }
  if (code === 100) {
    // A bad parameter is a bug in this client or its configuration, not in what the user asked.
    return { status: 'unavailable', reason: `invalid parameter: ${message} (${label})` }
  }
  // A transient error that outlived its retries is Meta failing, as a 5xx is.
  if (code === 1 || code === 2 || error.is_transient) return { status: 'unavailable', reason: `Meta Ad Library temporary error (${label})`, outage: true }
  return { status: 'unavailable', reason: `Meta Ad Library error (${label})` }
}

function parseJsonHeader(header: string | string[] | undefined): unknown {
  const value = Array.isArray(header) ? header[header.length - 1] : header
  if (!value) return undefined
  try {
    return JSON.parse(value)
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
