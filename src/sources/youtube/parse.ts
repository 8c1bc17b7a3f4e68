import type { SourceFailure, YoutubeStats } from '../../validation/sources.ts'
import { RECENT_DAYS } from '../../schemas/validation.ts'

// Pure readers of the YouTube Data API v3 wire format: no I/O, so each quirk is tested on a fixture.

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string }

export interface SearchVideo {
  videoId: string
  publishedAt?: string
}

export interface VideoFacts {
  viewCount?: number
  likeCount?: number
  commentCount?: number
  publishedAt?: string
}

const DAY_MS = 86_400_000

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
}

function describeNonJson(body: string): string {
  return /^\s*</.test(body) ? 'an HTML page instead of JSON' : 'a body that is not complete JSON'
}

/**
 * Statistics are unsigned 64-bit integers sent as strings. Absent or unreadable means unknown,
 * never zero: hidden like counts and disabled comments are common.
 */
export function countValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Number(value)
}

function timestamp(value: unknown): string | undefined {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined
}

/** The video results of a search.list page, in the API's relevance order, without duplicates. */
export function parseSearchList(body: string): Parsed<SearchVideo[]> {
  const doc = parseJsonObject(body)
  if (!doc) return { ok: false, problem: `search.list answered with ${describeNonJson(body)}` }
  if (!Array.isArray(doc.items)) return { ok: false, problem: 'search.list answered without an items list' }
  const seen = new Set<string>()
  const videos: SearchVideo[] = []
  for (const raw of doc.items) {
    const item = asRecord(raw)
    const id = asRecord(item?.id)
    // Channel and playlist results carry channelId/playlistId instead, even when type=video was asked.
    if (id?.kind !== 'youtube#video' || typeof id.videoId !== 'string' || id.videoId === '') continue
    if (seen.has(id.videoId)) continue
    seen.add(id.videoId)
    const snippet = asRecord(item?.snippet)
    videos.push({ videoId: id.videoId, publishedAt: timestamp(snippet?.publishedAt) })
  }
  return { ok: true, value: videos }
}

/** videos.list items by id: the API omits unknown, private and deleted ids and does not keep the requested order. */
export function parseVideoList(body: string): Parsed<Map<string, VideoFacts>> {
  const doc = parseJsonObject(body)
  if (!doc) return { ok: false, problem: `videos.list answered with ${describeNonJson(body)}` }
  if (!Array.isArray(doc.items)) return { ok: false, problem: 'videos.list answered without an items list' }
  const videos = new Map<string, VideoFacts>()
  for (const raw of doc.items) {
    const item = asRecord(raw)
    if (!item || typeof item.id !== 'string') continue
    const statistics = asRecord(item.statistics)
    const snippet = asRecord(item.snippet)
    videos.set(item.id, {
      viewCount: countValue(statistics?.viewCount),
      likeCount: countValue(statistics?.likeCount),
      commentCount: countValue(statistics?.commentCount),
      publishedAt: timestamp(snippet?.publishedAt),
    })
  }
  return { ok: true, value: videos }
}

export interface GoogleApiError {
  code?: number
  /** `errors[].reason` and, on newer answers, `details[].reason` (e.g. API_KEY_INVALID) */
  reasons: string[]
  domains: string[]
}

export function parseGoogleError(body: string): GoogleApiError | undefined {
  const error = asRecord(parseJsonObject(body)?.error)
  if (!error) return undefined
  const reasons: string[] = []
  const domains: string[] = []
  for (const list of [error.errors, error.details]) {
    if (!Array.isArray(list)) continue
    for (const raw of list) {
      const entry = asRecord(raw)
      if (typeof entry?.reason === 'string') reasons.push(entry.reason)
      if (typeof entry?.domain === 'string') domains.push(entry.domain)
    }
  }
  return { code: typeof error.code === 'number' ? error.code : undefined, reasons, domains }
}

const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded'])
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED'])
const CREDENTIAL_REASONS = new Set([
  'keyInvalid',
  'keyExpired',
  'API_KEY_INVALID',
  'API_KEY_EXPIRED',
  'API_KEY_SERVICE_BLOCKED',
  'API_KEY_HTTP_REFERRER_BLOCKED',
  'API_KEY_IP_ADDRESS_BLOCKED',
  'ipRefererBlocked',
  'forbidden',
  'accessNotConfigured',
  'SERVICE_DISABLED',
])

export interface ClassifiedFailure extends SourceFailure {
  /** the project's daily quota is spent: nothing will succeed before midnight Pacific */
  quotaExceeded: boolean
}

/**
 * Maps a non-2xx answer to a source status. Reasons name Google's reason codes only: the message
 * text is Google's (with HTML in it) and the URL carries the key, so neither goes out.
 */
export function classifyFailure(operation: string, status: number, body: string, retryAfterMs?: number): ClassifiedFailure {
  const error = parseGoogleError(body)
  const reasons = error?.reasons ?? []
  const named = reasons.length > 0 ? ` (${[...new Set(reasons)].join(', ')})` : ''
  const quota = reasons.find((r) => QUOTA_REASONS.has(r))
  if (quota) {
    return { status: 'quota_exhausted', reason: `youtube ${operation}: daily quota exceeded (${quota})`, quotaExceeded: true }
  }
  // 403 rateLimitExceeded and 429 are both short-term throttling: retry later, unlike quotaExceeded.
  if (status === 429 || reasons.some((r) => RATE_REASONS.has(r))) {
    return { status: 'rate_limited', reason: `youtube ${operation}: rate limited, HTTP ${status}${named}`, retryAfterMs, quotaExceeded: false }
  }
  const credential = reasons.find((r) => CREDENTIAL_REASONS.has(r))
  if (credential || status === 401) {
    return {
      status: 'not_configured',
      reason: `youtube ${operation}: the API key was refused, HTTP ${status}${named}`,
      quotaExceeded: false,
    }
  }
  const what = error ? `HTTP ${status}${named}` : `HTTP ${status} with ${describeNonJson(body)}`
  return { status: 'unavailable', reason: `youtube ${operation}: ${what}`, quotaExceeded: false }
}

/**
 * For createUpstream's retryAfterBody: a 403 rateLimitExceeded or userRateLimitExceeded is short-term
 * throttling, retried with backoff; quotaExceeded is the day spent and never retried
 * (https://developers.google.com/youtube/v3/docs/errors). 429 is retried by the HTTP layer itself.
 */
export function rateLimitRetryDelay(status: number, body: string): number | undefined {
  if (status !== 403) return undefined
  const reasons = parseGoogleError(body)?.reasons ?? []
  return reasons.some((r) => RATE_REASONS.has(r)) && !reasons.some((r) => QUOTA_REASONS.has(r)) ? 0 : undefined
}

/**
 * Views of videos that videos.list did not return (deleted, private) or that have no viewCount are
 * unknown: the video still counts in `videos`, its views are left out of every sum, median and top.
 * The median of an even number of values is the mean of the middle two, rounded.
 */
export function computeStats(found: readonly SearchVideo[], facts: ReadonlyMap<string, VideoFacts>, now: Date): YoutubeStats {
  const recentFrom = now.getTime() - RECENT_DAYS * DAY_MS
  const views: number[] = []
  let videosLast30Days = 0
  let viewsLast30Days = 0
  for (const video of found) {
    const fact = facts.get(video.videoId)
    const viewCount = fact?.viewCount
    if (viewCount !== undefined) views.push(viewCount)
    const publishedAt = fact?.publishedAt ?? video.publishedAt
    if (publishedAt !== undefined && Date.parse(publishedAt) >= recentFrom) {
      videosLast30Days++
      viewsLast30Days += viewCount ?? 0
    }
  }
  views.sort((a, b) => a - b)
  const middle = views.length >> 1
  const medianViews =
    views.length === 0 ? null : views.length % 2 === 1 ? views[middle]! : Math.round((views[middle - 1]! + views[middle]!) / 2)
  return {
    videos: found.length,
    totalViews: views.reduce((sum, v) => sum + v, 0),
    medianViews,
    topVideoViews: views.length === 0 ? null : views[views.length - 1]!,
    videosLast30Days,
    viewsLast30Days,
  }
}
