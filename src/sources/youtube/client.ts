import type { SourceFailure, SourceResult, YoutubeQuotaState, YoutubeSource, YoutubeStats } from '../../validation/sources.ts'
import { type CallEvent, createUpstream, retryAfterMs, type UpstreamResponse, UpstreamError } from '../http.ts'
import { redact } from '../redact.ts'
import { classifyFailure, computeStats, parseSearchList, parseVideoList, rateLimitRetryDelay } from './parse.ts'
import type { QuotaCounter } from '../../quota/counter.ts'
import { CIRCUIT_DEFAULTS, createCircuit } from '../circuit.ts'
import { nextPacificMidnight, pacificDayKey } from '../../quota/pacific-day.ts'
import { YOUTUBE_WINDOW_DAYS } from '../../schemas/validation.ts'

// One videoStats = one search.list (the scarce resource: ~100 a day) + one videos.list for up to 50
// ids. The budget is checked and taken before any HTTP so a spent day costs no calls at all.

export interface YoutubeClientOptions {
  apiUrl: string
  apiKey?: string
  timeoutMs: number
  /** open connections to the Data API at most */
  connections?: number
  searchDailyLimit: number
  dailyQuota: number
  /**
   * 'bucket': search.list takes 1 of the searchDailyLimit calls (current Google docs);
   * 'units': it takes 100 of the dailyQuota units (older docs, still applied to some projects).
   */
  searchCost: 'bucket' | 'units'
  quota: QuotaCounter
  windowDays?: number
  maxResults?: number
  onCall?: (event: CallEvent) => void
  circuit?: { threshold: number; cooldownMs: number }
}

const DAY_MS = 86_400_000
const SEARCH_UNITS = 100
const VIDEOS_UNITS = 1
// Keep a day's keys an hour past midnight: an instance whose clock lags still counts into yesterday.
const KEY_GRACE_MS = 3_600_000
// Upper bound for charges that are owed whatever the limit (retries Google has already billed).
const NO_LIMIT = Number.MAX_SAFE_INTEGER

export function createYoutubeClient(options: YoutubeClientOptions): YoutubeSource & { close(): Promise<void> } {
  const windowDays = options.windowDays ?? YOUTUBE_WINDOW_DAYS
  const maxResults = Math.min(50, Math.max(1, options.maxResults ?? 50))
  const secrets = options.apiKey ? [options.apiKey] : []
  const upstream = createUpstream({
    source: 'youtube',
    baseUrl: options.apiUrl,
    timeoutMs: options.timeoutMs,
    connections: options.connections,
    secrets,
    onCall: options.onCall,
  })
  const counter = options.quota
  // Around the whole lookup: an open circuit answers before any quota is taken.
  const circuit = createCircuit({ label: 'YouTube', ...CIRCUIT_DEFAULTS, ...options.circuit })

  function budget(now: Date) {
    const day = pacificDayKey(now)
    const resetsAt = nextPacificMidnight(now)
    return {
      searchKey: `youtube:search:${day}`,
      unitsKey: `youtube:units:${day}`,
      resetsAt,
      // A `now` far in the past must not make the keys expire before they are used.
      expiresAtMs: Math.max(resetsAt.getTime(), Date.now()) + KEY_GRACE_MS,
    }
  }

  function exhausted(now: Date, reason: string): SourceFailure {
    return { status: 'quota_exhausted', reason, retryAfterMs: Math.max(0, nextPacificMidnight(now).getTime() - now.getTime()) }
  }

  /** Takes what one videoStats needs, before any call, so a spent day costs no HTTP at all. */
  async function reserve(now: Date): Promise<SourceFailure | undefined> {
    const b = budget(now)
    if (options.searchCost === 'units') {
      // Search and its videos.list are taken together: a search whose videos.list cannot be paid is wasted.
      const taken = await counter.consume(b.unitsKey, SEARCH_UNITS + VIDEOS_UNITS, options.dailyQuota, b.expiresAtMs)
      return taken.allowed ? undefined : exhausted(now, `youtube daily quota of ${options.dailyQuota} units is spent`)
    }
    // Units first: they are plentiful, so losing one when the search bucket then refuses costs nothing real.
    const units = await counter.consume(b.unitsKey, VIDEOS_UNITS, options.dailyQuota, b.expiresAtMs)
    if (!units.allowed) return exhausted(now, `youtube daily quota of ${options.dailyQuota} units is spent`)
    const search = await counter.consume(b.searchKey, 1, options.searchDailyLimit, b.expiresAtMs)
    return search.allowed ? undefined : exhausted(now, `youtube daily limit of ${options.searchDailyLimit} searches is spent`)
  }

  /** Retries are billed by Google like first attempts, so they are counted, whatever the limit. */
  async function chargeRetries(now: Date, operation: 'search' | 'videos', attempts: number): Promise<void> {
    if (attempts <= 1) return
    const b = budget(now)
    const extra = attempts - 1
    if (operation === 'videos') await counter.consume(b.unitsKey, extra * VIDEOS_UNITS, NO_LIMIT, b.expiresAtMs)
    else if (options.searchCost === 'units') await counter.consume(b.unitsKey, extra * SEARCH_UNITS, NO_LIMIT, b.expiresAtMs)
    else await counter.consume(b.searchKey, extra, NO_LIMIT, b.expiresAtMs)
  }

  /** After Google's quotaExceeded, nothing succeeds before midnight Pacific: record every budget as spent. */
  async function markSpent(now: Date): Promise<void> {
    const b = budget(now)
    const budgets: Array<[string, number]> = [
      [b.unitsKey, options.dailyQuota],
      [b.searchKey, options.searchDailyLimit],
    ]
    for (const [key, limit] of budgets) {
      // Another instance may take units between the read and the consume; a second pass catches that.
      for (let pass = 0; pass < 3; pass++) {
        const used = await counter.used(key)
        if (used >= limit) break
        if ((await counter.consume(key, limit - used, limit, b.expiresAtMs)).allowed) break
      }
    }
  }

  async function call(operation: 'search.list' | 'videos.list', path: string, query: Record<string, string>, signal?: AbortSignal) {
    try {
      const response = await upstream.request({ method: 'GET', path, query: { ...query, key: options.apiKey }, idempotent: true, retryAfterBody: rateLimitRetryDelay, signal })
      return { response }
    } catch (err) {
      const what = err instanceof UpstreamError ? `${err.code} after ${err.attempts} attempt(s)` : 'unexpected client error'
      const failure: SourceFailure = { status: 'unavailable', reason: redact(`youtube ${operation}: ${what}`, secrets) }
      if (err instanceof UpstreamError && err.code !== 'UPSTREAM_ABORTED') failure.outage = true
      return { failure, attempts: err instanceof UpstreamError ? err.attempts : 1 }
    }
  }

  async function failed(now: Date, operation: string, response: UpstreamResponse): Promise<SourceFailure> {
    const retryAfter = retryAfterMs(response.headers['retry-after'])
    const classified = classifyFailure(operation, response.status, response.body, retryAfter)
    if (classified.quotaExceeded) {
      await markSpent(now)
      return exhausted(now, classified.reason)
    }
    const failure: SourceFailure = { status: classified.status, reason: redact(classified.reason, secrets) }
    if (classified.retryAfterMs !== undefined) failure.retryAfterMs = classified.retryAfterMs
    if (classified.status === 'unavailable' && (response.status >= 500 || !/^\s*\{/.test(response.body))) failure.outage = true
    return failure
  }

  async function videoStatsUnsafe(terms: string, regionCode: string, now: Date, signal?: AbortSignal): Promise<SourceResult<YoutubeStats>> {
    if (!options.apiKey) return { status: 'not_configured', reason: 'youtube: no API key configured' }
    const refused = await reserve(now)
    if (refused) return refused

    const publishedAfter = new Date(now.getTime() - windowDays * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const search = await call(
      'search.list',
      '/search',
      {
        part: 'snippet',
        type: 'video',
        q: terms,
        regionCode: regionCode.toUpperCase(),
        publishedAfter,
        order: 'relevance',
        maxResults: String(maxResults),
      },
      signal,
    )
    await chargeRetries(now, 'search', search.response?.attempts ?? search.attempts ?? 1)
    if (!search.response) return search.failure!
    if (search.response.status >= 300) return failed(now, 'search.list', search.response)
    const found = parseSearchList(search.response.body)
    if (!found.ok) return { status: 'unavailable', reason: `youtube ${found.problem}`, outage: true }
    const videos = found.value.slice(0, maxResults)
    if (videos.length === 0) return { status: 'ok', data: computeStats([], new Map(), now) }

    const details = await call(
      'videos.list',
      '/videos',
      // No maxResults here: Google rejects it together with `id`.
      { part: 'statistics,snippet', id: videos.map((v) => v.videoId).join(',') },
      signal,
    )
    await chargeRetries(now, 'videos', details.response?.attempts ?? details.attempts ?? 1)
    // A search without statistics says nothing about demand, so the whole answer takes videos.list's failure.
    if (!details.response) return { ...details.failure!, reason: `videos.list failed after search.list: ${details.failure!.reason}` }
    if (details.response.status >= 300) {
      const failure = await failed(now, 'videos.list', details.response)
      return { ...failure, reason: `videos.list failed after search.list: ${failure.reason}` }
    }
    const facts = parseVideoList(details.response.body)
    if (!facts.ok) return { status: 'unavailable', reason: `videos.list failed after search.list: youtube ${facts.problem}`, outage: true }
    return { status: 'ok', data: computeStats(videos, facts.value, now) }
  }

  return {
    videoStats: (terms, regionCode, now, signal) =>
      circuit.run(async () => {
        try {
          return await videoStatsUnsafe(terms, regionCode, now, signal)
        } catch (err) {
          // The contract is a result, never a throw; only the error's name leaves, never its text.
          return { status: 'unavailable', reason: `youtube: unexpected ${err instanceof Error ? err.name : 'error'}` }
        }
      }),

    async quota(now): Promise<YoutubeQuotaState> {
      const b = budget(now)
      const unitsLeft = Math.max(0, options.dailyQuota - (await counter.used(b.unitsKey)))
      // searchesLeft counts whole videoStats lookups: a search plus the videos.list it needs.
      const searchesLeft =
        options.searchCost === 'units'
          ? Math.floor(unitsLeft / (SEARCH_UNITS + VIDEOS_UNITS))
          : Math.min(unitsLeft, Math.max(0, options.searchDailyLimit - (await counter.used(b.searchKey))))
      return { searchesLeft, unitsLeft, resetsAt: b.resetsAt.toISOString() }
    },

    async state(now) {
      const b = budget(now)
      const resetsAt = b.resetsAt.toISOString()
      const [units, searches] = await Promise.all([counter.used(b.unitsKey), counter.used(b.searchKey)])
      const budgets = [{ name: 'units', used: units, limit: options.dailyQuota, resetsAt }]
      if (options.searchCost === 'bucket') budgets.push({ name: 'searches', used: searches, limit: options.searchDailyLimit, resetsAt })
      return { ...circuit.state(now), budgets }
    },

    close: () => upstream.close(),
  }
}
