import { createHash } from 'node:crypto'
import { pacificDayKey } from '../quota/pacific-day.ts'
import { type Behaviour, DEFAULT_LATENCY_MS, defaultBehaviour, type FaultMode, type SandboxReply, type SandboxRequest, type SandboxServer, startSandboxServer } from './behaviour.ts'
import type { YoutubeStats } from '../validation/sources.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'
import { type Random, seeded } from './random.ts'

// A YouTube Data API v3 stand-in speaking the real wire format (upstream-apis.md section 3): string
// statistics, HTML-escaped search titles, channel results mixed in unless type=video, ids omitted
// when unknown or deleted, videos.list in an order of its own, Google's error envelopes and the
// daily search bucket. The data is a pure function of the normalized query and region.

/** What a correct client computes from this sandbox's data. */
export type ExpectedYoutubeStats = YoutubeStats

export interface YoutubeSandbox extends SandboxServer {
  /** what a correct client computes for these terms with `windowDays` and 50 results */
  expected(terms: string, regionCode: string, now: Date, windowDays?: number): ExpectedYoutubeStats
  /** forget today's search count, as midnight Pacific would */
  resetQuota(): void
  /** answer every valid call of one operation with this fault (undefined: back to normal) */
  setOperationFault(operation: 'search.list' | 'videos.list', mode: Exclude<FaultMode, 'timeout'> | undefined): void
}

export interface YoutubeSandboxOptions {
  behaviour?: Partial<Behaviour>
  apiKey?: string
  searchDailyLimit?: number
}

interface SimVideo {
  id: string
  channelId: string
  channelTitle: string
  title: string
  description: string
  /** always a whole number plus one half, so no day boundary ever falls on a video */
  ageDays: number
  /** undefined: the owner hides it and the API leaves the field out */
  views?: number
  likes?: number
  comments?: number
  /** deleted or made private after indexing: search still lists it, videos.list omits it */
  gone: boolean
  durationSeconds: number
}

interface SimChannel {
  id: string
  title: string
}

interface SimTerm {
  videos: SimVideo[]
  channels: SimChannel[]
}

const DAY_MS = 86_400_000
const POOL_DAYS = 365
const CHANNEL_AGE_DAYS = 900
const REGISTRY_MAX = 200_000
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const TITLE_PATTERNS = [
  (t: string) => `${t} review - don't buy before watching!`,
  (t: string) => `I tried the viral ${t} so you don't have to`,
  (t: string) => `${t} | unboxing & first impressions`,
  (t: string) => `Is the "${t}" worth it? Honest test`,
  (t: string) => `TOP 5 ${t} on AliExpress (2025)`,
  (t: string) => `${t} - setup guide`,
]
const CHANNEL_NAMES = ['Gadget Lab', 'TechFinds', 'Unbox Daily', "Mia's Picks", 'Home Hacks TV', 'Review Guy', 'Deal Hunter', 'Smart Buys']

export function normalizeQuery(q: string): string {
  return q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()
}

function youtubeId(seed: string, length: number): string {
  const bytes = createHash('sha256').update(seed).digest()
  let id = ''
  for (let i = 0; i < length; i++) id += ID_ALPHABET[bytes[i]! & 63]
  return id
}

function etag(seed: string): string {
  return createHash('sha1').update(seed).digest('base64url').slice(0, 27)
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

function simulate(q: string, regionCode: string): SimTerm {
  const seed = `youtube|${q}|${regionCode}`
  const rng = seeded(seed)
  // Some terms have no videos at all: a niche product nobody filmed.
  const size = q === '' || rng.next() < 0.12 ? 0 : rng.int(3, 80)
  const trend = rng.pick(['rising', 'steady', 'fading'] as const)
  const channels: SimChannel[] = Array.from({ length: rng.int(1, 3) }, (_v, i) => ({
    id: `UC${youtubeId(`${seed}|channel|${i}`, 22)}`,
    title: rng.pick(CHANNEL_NAMES),
  }))
  const videos: SimVideo[] = []
  for (let i = 0; i < size; i++) {
    const u = rng.next()
    // rising: uploads crowd into the last weeks; fading: most are months old.
    const age = trend === 'rising' ? POOL_DAYS * u ** 3 : trend === 'fading' ? POOL_DAYS * (1 - u ** 3) : POOL_DAYS * u
    const channel = rng.pick(channels)
    const title = pickTitle(rng, q)
    videos.push({
      id: youtubeId(`${seed}|video|${i}`, 11),
      channelId: channel.id,
      channelTitle: channel.title,
      title,
      description: `${title}. In this video we look at ${q} in detail: what arrives in the box, how it performs after a week of daily use, and whether it is worth the money compared to the alternatives. Links below.`,
      ageDays: Math.min(POOL_DAYS - 1, Math.floor(age)) + 0.5,
      views: rng.next() < 0.03 ? undefined : Math.round(rng.logUniform(100, 5_000_000)),
      likes: undefined,
      comments: undefined,
      gone: rng.next() < 0.05,
      durationSeconds: rng.int(25, 1_800),
    })
    const video = videos[videos.length - 1]!
    if (video.views !== undefined && rng.next() >= 0.15) video.likes = Math.round(video.views * rng.next() * 0.05)
    if (video.views !== undefined && rng.next() >= 0.1) video.comments = Math.round(video.views * rng.next() * 0.004)
  }
  return { videos, channels }
}

function pickTitle(rng: Random, q: string): string {
  const term = q.replace(/\b\w/g, (c) => c.toUpperCase())
  return rng.pick(TITLE_PATTERNS)(term)
}

function googleError(status: number, reason: string, domain: string, message: string, extra: Record<string, string> = {}): SandboxReply {
  return {
    status,
    body: JSON.stringify({ error: { code: status, message, errors: [{ message, domain, reason, ...extra }] } }, null, 2),
  }
}

// Exactly the shape Google sends (upstream-samples/youtube-error-quota.json), link and all.
const QUOTA_MESSAGE = 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.'
function quotaExceeded(): SandboxReply {
  const body = JSON.stringify(
    { error: { code: 403, message: QUOTA_MESSAGE, errors: [{ message: QUOTA_MESSAGE, domain: 'youtube.quota', reason: 'quotaExceeded' }] } },
    null,
    2,
  )
  return { status: 403, body: body.replace(/</g, '\\u003c').replace(/>/g, '\\u003e') }
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function thumbnails(id: string) {
  return {
    default: { url: `https://i.ytimg.com/vi/${id}/default.jpg`, width: 120, height: 90 },
    medium: { url: `https://i.ytimg.com/vi/${id}/mqdefault.jpg`, width: 320, height: 180 },
    high: { url: `https://i.ytimg.com/vi/${id}/hqdefault.jpg`, width: 480, height: 360 },
  }
}

function isoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`
}

function pageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url')
}

function readPageToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'))
  return match ? Number(match[1]) : undefined
}

export async function createYoutubeSandbox(options: YoutubeSandboxOptions = {}): Promise<YoutubeSandbox> {
  const apiKey = options.apiKey ?? SANDBOX_CREDENTIALS.youtube.apiKey
  const searchDailyLimit = options.searchDailyLimit ?? 100
  const bornAt = Date.now()
  const searches = { day: pacificDayKey(new Date()), count: 0 }
  // videos.list gets only ids, so the search that produced an id remembers its video here.
  const registry = new Map<string, SimVideo>()
  // Faults aimed at one operation, e.g. videos.list failing after search.list succeeded.
  const operationFaults = new Map<string, Exclude<FaultMode, 'timeout'>>()

  // Publication times hang off an anchor that moves a whole day at a time, so a video's publishedAt is
  // the same in search.list and videos.list and in expected(), yet a long-running sandbox stays current.
  const anchor = () => bornAt + Math.floor((Date.now() - bornAt) / DAY_MS) * DAY_MS
  const publishedMs = (video: SimVideo, anchorMs: number) => anchorMs - Math.round(video.ageDays * DAY_MS)

  function remember(videos: readonly SimVideo[]): void {
    for (const video of videos) {
      registry.delete(video.id)
      registry.set(video.id, video)
    }
    while (registry.size > REGISTRY_MAX) registry.delete(registry.keys().next().value!)
  }

  function operation(req: SandboxRequest): string {
    const path = req.url.pathname.replace(/\/$/, '')
    if (path.endsWith('/youtube/v3/search')) return 'search.list'
    if (path.endsWith('/youtube/v3/videos')) return 'videos.list'
    return 'unknown'
  }

  function checkKeyAndPart(req: SandboxRequest): SandboxReply | undefined {
    if (req.url.searchParams.get('key') !== apiKey) {
      return googleError(400, 'keyInvalid', 'usageLimits', 'API key not valid. Please pass a valid API key.')
    }
    if (!req.url.searchParams.get('part')) {
      return googleError(400, 'missingRequiredParameter', 'youtube.parameter', 'No filter selected. Expected one of: part', {
        locationType: 'parameter',
        location: 'part',
      })
    }
    return undefined
  }

  function search(req: SandboxRequest): SandboxReply {
    const params = req.url.searchParams
    const maxResults = params.has('maxResults') ? Number(params.get('maxResults')) : 5
    if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > 50) {
      const message = `Invalid value '${params.get('maxResults')}'. Values must be within the range: [0, 50]`
      return googleError(400, 'invalidParameter', 'youtube.parameter', message, { locationType: 'parameter', location: 'maxResults' })
    }
    const bounds: Record<'publishedAfter' | 'publishedBefore', number | undefined> = { publishedAfter: undefined, publishedBefore: undefined }
    for (const name of ['publishedAfter', 'publishedBefore'] as const) {
      const raw = params.get(name)
      if (raw === null) continue
      const ms = Date.parse(raw)
      if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms)) {
        const message = `Invalid value '${raw}'. Expected an RFC 3339 date-time.`
        return googleError(400, 'invalidParameter', 'youtube.parameter', message, { locationType: 'parameter', location: name })
      }
      bounds[name] = ms
    }
    let offset = 0
    const token = params.get('pageToken')
    if (token) {
      const decoded = readPageToken(token)
      if (decoded === undefined) return googleError(400, 'invalidPageToken', 'youtube.parameter', 'The request specifies an invalid page token.')
      offset = decoded
    }

    const today = pacificDayKey(new Date())
    if (searches.day !== today) Object.assign(searches, { day: today, count: 0 })
    if (searches.count >= searchDailyLimit) return quotaExceeded()
    searches.count++

    const q = normalizeQuery(params.get('q') ?? '')
    const regionCode = (params.get('regionCode') ?? '').toUpperCase()
    const sim = simulate(q, regionCode)
    const anchorMs = anchor()
    const inBounds = (at: number) =>
      (bounds.publishedAfter === undefined || at >= bounds.publishedAfter) && (bounds.publishedBefore === undefined || at < bounds.publishedBefore)
    const matching = sim.videos.filter((v) => inBounds(publishedMs(v, anchorMs)))
    remember(matching)
    type Result = { video: SimVideo } | { channel: SimChannel }
    const results: Result[] = matching.map((video) => ({ video }))
    // Without type=video Google mixes channels into the results; their ids carry channelId, not videoId.
    if ((params.get('type') ?? '').split(',').some((t) => t !== 'video') && inBounds(anchorMs - CHANNEL_AGE_DAYS * DAY_MS)) {
      sim.channels.forEach((channel, i) => {
        results.splice(Math.min(results.length, 2 + i * 7), 0, { channel })
      })
    }
    const page = results.slice(offset, offset + maxResults)
    const items = page.map((result) => {
      if ('channel' in result) {
        const { channel } = result
        return {
          kind: 'youtube#searchResult',
          etag: etag(`search|${channel.id}`),
          id: { kind: 'youtube#channel', channelId: channel.id },
          snippet: {
            publishedAt: rfc3339(anchorMs - CHANNEL_AGE_DAYS * DAY_MS),
            channelId: channel.id,
            title: escapeHtml(channel.title),
            description: `Honest reviews of the gadgets everyone is buying. New videos every week.`,
            thumbnails: thumbnails(channel.id),
            channelTitle: escapeHtml(channel.title),
            liveBroadcastContent: 'none',
            publishTime: rfc3339(anchorMs - CHANNEL_AGE_DAYS * DAY_MS),
          },
        }
      }
      const { video } = result
      const published = rfc3339(publishedMs(video, anchorMs))
      return {
        kind: 'youtube#searchResult',
        etag: etag(`search|${video.id}`),
        id: { kind: 'youtube#video', videoId: video.id },
        snippet: {
          publishedAt: published,
          channelId: video.channelId,
          title: escapeHtml(video.title),
          description: `${escapeHtml(video.description.slice(0, 150))} ...`,
          thumbnails: thumbnails(video.id),
          channelTitle: escapeHtml(video.channelTitle),
          liveBroadcastContent: 'none',
          publishTime: published,
        },
      }
    })
    const body: Record<string, unknown> = { kind: 'youtube#searchListResponse', etag: etag(`search|${q}|${regionCode}|${offset}|${maxResults}`) }
    if (offset + maxResults < results.length) body.nextPageToken = pageToken(offset + maxResults)
    if (offset > 0) body.prevPageToken = pageToken(Math.max(0, offset - maxResults))
    if (regionCode) body.regionCode = regionCode
    // totalResults is Google's loose estimate, well above what can actually be paged through.
    body.pageInfo = { totalResults: results.length < 50 ? results.length : Math.min(1_000_000, results.length * 1_873), resultsPerPage: maxResults }
    body.items = items
    return { status: 200, body: JSON.stringify(body, null, 2) }
  }

  function videos(req: SandboxRequest): SandboxReply {
    const params = req.url.searchParams
    const parts = new Set((params.get('part') ?? '').split(',').map((p) => p.trim()))
    for (const part of parts) {
      if (!['id', 'snippet', 'statistics', 'contentDetails'].includes(part)) {
        return googleError(400, 'unknownPart', 'youtube.part', `'${part}'`, { locationType: 'parameter', location: 'part' })
      }
    }
    const idParam = params.get('id')
    if (!idParam) {
      return googleError(400, 'missingRequiredParameter', 'youtube.parameter', 'No filter selected. Expected one of: chart, id, myRated')
    }
    if (params.has('maxResults')) {
      return googleError(400, 'incompatibleParameters', 'youtube.parameter', 'The request specifies an incompatible filter and maxResults.')
    }
    const ids = [...new Set(idParam.split(',').filter((id) => id !== ''))]
    if (ids.length > 50) return googleError(400, 'invalidParameter', 'youtube.parameter', 'The id parameter accepts at most 50 ids.')
    const found = ids.map((id) => registry.get(id)).filter((v): v is SimVideo => v !== undefined && !v.gone)
    const rng = seeded(`order|${ids.join(',')}`)
    for (let i = found.length - 1; i > 0; i--) {
      const j = rng.int(0, i)
      ;[found[i], found[j]] = [found[j]!, found[i]!]
    }
    // The real API does not promise request order; make sure a client that assumes it is caught.
    if (found.length > 1 && found.every((v, i) => v.id === ids.filter((id) => registry.get(id) && !registry.get(id)!.gone)[i])) found.reverse()
    const anchorMs = anchor()
    const items = found.map((video) => {
      const item: Record<string, unknown> = { kind: 'youtube#video', etag: etag(`video|${video.id}`), id: video.id }
      if (parts.has('snippet')) {
        item.snippet = {
          publishedAt: rfc3339(publishedMs(video, anchorMs)),
          channelId: video.channelId,
          title: video.title,
          description: video.description,
          thumbnails: thumbnails(video.id),
          channelTitle: video.channelTitle,
          categoryId: '26',
          liveBroadcastContent: 'none',
          localized: { title: video.title, description: video.description },
        }
      }
      if (parts.has('contentDetails')) {
        item.contentDetails = {
          duration: isoDuration(video.durationSeconds),
          dimension: '2d',
          definition: 'hd',
          caption: 'false',
          licensedContent: false,
          contentRating: {},
          projection: 'rectangular',
        }
      }
      if (parts.has('statistics')) {
        const statistics: Record<string, string> = {}
        if (video.views !== undefined) statistics.viewCount = String(video.views)
        if (video.likes !== undefined) statistics.likeCount = String(video.likes)
        statistics.favoriteCount = '0'
        if (video.comments !== undefined) statistics.commentCount = String(video.comments)
        item.statistics = statistics
      }
      return item
    })
    const body = {
      kind: 'youtube#videoListResponse',
      etag: etag(`videos|${ids.join(',')}`),
      items,
      pageInfo: { totalResults: items.length, resultsPerPage: items.length },
    }
    return { status: 200, body: JSON.stringify(body, null, 2) }
  }

  // Google's own error answers for every fault mode, so the client is tested on what it will really see.
  function fault(mode: FaultMode, _req: SandboxRequest, b: Behaviour): SandboxReply | undefined {
    switch (mode) {
      case 'quota':
        return quotaExceeded()
      case 'rate_limit': {
        const reply = googleError(429, 'rateLimitExceeded', 'usageLimits', 'The request cannot be completed due to rate limiting. Please retry later.')
        return { ...reply, headers: { 'retry-after': String(b.retryAfterSeconds) } }
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
        return undefined
    }
  }

  const server = await startSandboxServer(
    'youtube',
    {
      operation,
      answer(req) {
        const op = operation(req)
        if (op === 'unknown') return googleError(404, 'notFound', 'global', 'Not Found')
        if (req.method !== 'GET') return googleError(405, 'httpMethodNotAllowed', 'global', 'HTTP method not allowed')
        const refused = checkKeyAndPart(req)
        if (refused) return refused
        const forced = operationFaults.get(op)
        if (forced) return fault(forced, req, server.behaviour)!
        return op === 'search.list' ? search(req) : videos(req)
      },
      fault,
    },
    { ...defaultBehaviour(DEFAULT_LATENCY_MS.youtube), ...options.behaviour },
    '/youtube/v3',
  )

  function expected(terms: string, regionCode: string, now: Date, windowDays = 180): ExpectedYoutubeStats {
    const sim = simulate(normalizeQuery(terms), regionCode.toUpperCase())
    const anchorMs = anchor()
    const after = now.getTime() - windowDays * DAY_MS
    const recentFrom = now.getTime() - 30 * DAY_MS
    const listed = sim.videos.filter((v) => publishedMs(v, anchorMs) >= after).slice(0, 50)
    const known = listed.filter((v) => !v.gone && v.views !== undefined)
    const viewList = known.map((v) => v.views!).sort((a, b) => a - b)
    const recent = listed.filter((v) => publishedMs(v, anchorMs) >= recentFrom)
    let medianViews: number | null = null
    if (viewList.length > 0) {
      const half = Math.floor(viewList.length / 2)
      medianViews = viewList.length % 2 === 1 ? viewList[half]! : Math.round((viewList[half - 1]! + viewList[half]!) / 2)
    }
    return {
      videos: listed.length,
      totalViews: viewList.reduce((a, b) => a + b, 0),
      medianViews,
      topVideoViews: viewList.length > 0 ? Math.max(...viewList) : null,
      videosLast30Days: recent.length,
      viewsLast30Days: recent.filter((v) => !v.gone && v.views !== undefined).reduce((sum, v) => sum + v.views!, 0),
    }
  }

  return Object.assign(server, {
    expected,
    resetQuota() {
      searches.count = 0
    },
    setOperationFault(operation: 'search.list' | 'videos.list', mode: Exclude<FaultMode, 'timeout'> | undefined) {
      if (mode) operationFaults.set(operation, mode)
      else operationFaults.delete(operation)
    },
  })
}
