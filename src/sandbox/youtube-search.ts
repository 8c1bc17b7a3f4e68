import { pacificDayKey } from '../quota/pacific-day.ts'
import type { SandboxReply } from './behaviour.ts'
import { googleError, invalidParameter, quotaExceeded } from './youtube-errors.ts'
import { CHANNEL_AGE_DAYS, DAY_MS, normalizeQuery, publishedMs, type SimTerm, simulate, type VideoRegistry } from './youtube-data.ts'
import { etag, pageToken, readPageToken, type SearchResult, searchResultItem } from './youtube-wire.ts'

// search.list (https://developers.google.com/youtube/v3/docs/search/list): parameter checks in
// Google's words, the daily search bucket, channels mixed in unless type=video, offset page tokens.

export interface SearchContext {
  quota: SearchQuota
  registry: VideoRegistry
  anchor: () => number
}

interface SearchQuery {
  maxResults: number
  publishedAfter?: number
  publishedBefore?: number
  offset: number
}

export interface SearchQuota {
  /** counts one search, or says no when today's (Pacific) searches are used up */
  take(): boolean
  reset(): void
}

export function dailySearchQuota(limit: number): SearchQuota {
  const searches = { day: pacificDayKey(new Date()), count: 0 }
  return {
    take() {
      const today = pacificDayKey(new Date())
      if (searches.day !== today) Object.assign(searches, { day: today, count: 0 })
      if (searches.count >= limit) return false
      searches.count++
      return true
    },
    reset() {
      searches.count = 0
    },
  }
}

export function searchList(params: URLSearchParams, ctx: SearchContext): SandboxReply {
  const query = parseSearchQuery(params)
  if ('status' in query) return query
  if (!ctx.quota.take()) return quotaExceeded()
  const q = normalizeQuery(params.get('q') ?? '')
  const regionCode = (params.get('regionCode') ?? '').toUpperCase()
  const anchorMs = ctx.anchor()
  const results = matchingResults(simulate(q, regionCode), query, params.get('type') ?? '', anchorMs, ctx.registry)
  const { offset, maxResults } = query
  const body: Record<string, unknown> = { kind: 'youtube#searchListResponse', etag: etag(`search|${q}|${regionCode}|${offset}|${maxResults}`) }
  if (offset + maxResults < results.length) body.nextPageToken = pageToken(offset + maxResults)
  if (offset > 0) body.prevPageToken = pageToken(Math.max(0, offset - maxResults))
  if (regionCode) body.regionCode = regionCode
  // totalResults is Google's loose estimate, well above what can actually be paged through.
  body.pageInfo = { totalResults: results.length < 50 ? results.length : Math.min(1_000_000, results.length * 1_873), resultsPerPage: maxResults }
  body.items = results.slice(offset, offset + maxResults).map((result) => searchResultItem(result, anchorMs))
  return { status: 200, body: JSON.stringify(body, null, 2) }
}

function parseSearchQuery(params: URLSearchParams): SearchQuery | SandboxReply {
  const maxResults = params.has('maxResults') ? Number(params.get('maxResults')) : 5
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 50) {
    return invalidParameter(`Invalid value '${params.get('maxResults')}'. Values must be within the range: [0, 50]`, 'maxResults')
  }
  const query: SearchQuery = { maxResults, offset: 0 }
  for (const name of ['publishedAfter', 'publishedBefore'] as const) {
    const raw = params.get(name)
    if (raw === null) continue
    const ms = Date.parse(raw)
    if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms)) return invalidParameter(`Invalid value '${raw}'. Expected an RFC 3339 date-time.`, name)
    query[name] = ms
  }
  const token = params.get('pageToken')
  if (token) {
    const offset = readPageToken(token)
    if (offset === undefined) return googleError(400, 'invalidPageToken', 'youtube.parameter', 'The request specifies an invalid page token.')
    query.offset = offset
  }
  return query
}

/** Every result the search finds within its dates, videos remembered for videos.list. */
function matchingResults(sim: SimTerm, query: SearchQuery, type: string, anchorMs: number, registry: VideoRegistry): SearchResult[] {
  const inBounds = (at: number) =>
    (query.publishedAfter === undefined || at >= query.publishedAfter) && (query.publishedBefore === undefined || at < query.publishedBefore)
  const matching = sim.videos.filter((v) => inBounds(publishedMs(v, anchorMs)))
  registry.remember(matching)
  const results: SearchResult[] = matching.map((video) => ({ video }))
  // Without type=video Google mixes channels into the results; their ids carry channelId, not videoId.
  if (type.split(',').some((t) => t !== 'video') && inBounds(anchorMs - CHANNEL_AGE_DAYS * DAY_MS)) {
    sim.channels.forEach((channel, i) => {
      results.splice(Math.min(results.length, 2 + i * 7), 0, { channel })
    })
  }
  return results
}
