import { type CallEvent, createUpstream, retryAfterMs, type UpstreamResponse, UpstreamError } from '../http.ts'
import { redact } from '../redact.ts'
import type { FacebookAdStats, FacebookSource, SourceFailure, SourceResult } from '../../validation/sources.ts'
import type { Redis } from 'ioredis'
import { createSharedPause, type SharedPause } from '../../quota/shared-pause.ts'
import { CIRCUIT_DEFAULTS, createCircuit } from '../circuit.ts'
import {
  type AdsPage,
  type AppUsage,
  type ArchivedAd,
  businessUseCasePercent,
  businessUseCaseWaitMs,
  graphErrorToFailure,
  graphRetryDelay,
  parseAppUsage,
  parseBody,
  summarizeAds,
} from './parse.ts'

export type { AppUsage } from './parse.ts'

export interface FacebookClientOptions {
  /** e.g. https://graph.facebook.com/v24.0 */
  graphUrl: string
  accessToken?: string
  /** ISO alpha-2; commercial ads are only in the library where they reached the EU or UK */
  adCountries: string[]
  /** one deadline for the whole statistic, every page and retry included */
  timeoutMs: number
  /** open connections to the Graph API at most */
  connections?: number
  /** ads per page */
  pageLimit?: number
  maxPages?: number
  onCall?: (event: CallEvent) => void
  /** clock of the self-throttle pause, in epoch ms */
  clock?: () => number
  /** the pause every instance shares (Redis); one of this process only when not given */
  pause?: SharedPause
  /** the first pause after a throttle that states no time; doubles on each new one within the hour */
  throttlePauseMs?: number
  circuit?: { threshold: number; cooldownMs: number }
}

export interface FacebookClient extends FacebookSource {
  close(): Promise<void>
  /** the latest `X-App-Usage` Meta reported, if any */
  usage(): AppUsage | undefined
}

// Only what the statistics need: without `fields` Graph returns bare ids, and ad_snapshot_url would
// carry our token back to us.
const FIELDS = 'id,page_id,page_name,ad_creation_time,ad_delivery_start_time,ad_delivery_stop_time,publisher_platforms'

// Meta blocks an app for up to an hour once usage reaches 100 %; stop a little before. Usage is
// measured over a rolling hour, so no pause needs to be longer than one.
// https://developers.facebook.com/docs/graph-api/overview/rate-limiting
const SELF_THROTTLE_PERCENT = 95
const HOUR_MS = 3_600_000

/** The Meta pause: in Redis under `key` when given one (every instance), in this process otherwise. */
export function metaPause(baseMs = 60_000, redis?: Redis, key = 'meta:pause'): SharedPause {
  return createSharedPause({ redis, key, baseMs, capMs: HOUR_MS, windowMs: HOUR_MS })
}

type PageRequest = { path: string; query: Record<string, string> }
type NextStep = { kind: 'end' } | { kind: 'unreachable' } | { kind: 'follow'; request: PageRequest }

export function createFacebookClient(options: FacebookClientOptions): FacebookClient {
  const token = options.accessToken
  const secrets = token ? [token] : []
  // Each page is a sequential round trip on the critical path; users report limit=1000 accepted (the
  // documented maximum is unknown), so 500 halves the pages of the default 250 at little risk.
  const pageLimit = options.pageLimit ?? 500
  const maxPages = options.maxPages ?? 4
  const clock = options.clock ?? Date.now
  const countries = options.adCountries.map((c) => c.trim().toUpperCase()).filter(Boolean)
  const graph = new URL(options.graphUrl)
  const archivePath = `${graph.pathname.replace(/\/$/, '')}/ads_archive`
  const upstream = createUpstream({ source: 'facebook', baseUrl: options.graphUrl, timeoutMs: options.timeoutMs, connections: options.connections, secrets, onCall: options.onCall })
  const clean = (text: string) => redact(text, secrets)

  const pause = options.pause ?? metaPause(options.throttlePauseMs)
  const circuit = createCircuit({ label: 'Meta Ad Library', ...CIRCUIT_DEFAULTS, ...options.circuit })
  let lastUsage: AppUsage | undefined

  /** Any usage header at its threshold pauses every Meta call, here and on every other instance. */
  async function observeUsage(res: UpstreamResponse): Promise<void> {
    const usage = parseAppUsage(res.headers['x-app-usage'])
    if (usage) lastUsage = usage
    const appPercent = usage ? Math.max(usage.callCount, usage.totalTime, usage.totalCputime) : 0
    const businessPercent = businessUseCasePercent(res.headers['x-business-use-case-usage']) ?? 0
    const regainMs = businessUseCaseWaitMs(res.headers['x-business-use-case-usage'])
    if (regainMs !== undefined || Math.max(appPercent, businessPercent) >= SELF_THROTTLE_PERCENT) await pause.pause(clock(), regainMs)
  }

  /** Meta said stop: every instance pauses, for the time it stated or a backoff, and this call reports it. */
  async function throttled(failure: SourceFailure): Promise<SourceFailure> {
    const until = await pause.pause(clock(), failure.retryAfterMs)
    return { ...failure, retryAfterMs: Math.max(0, until - clock()) }
  }

  function selfThrottled(): SourceFailure | undefined {
    const left = pause.until() - clock()
    if (left <= 0) return undefined
    return {
      status: 'rate_limited',
      reason: `Meta calls paused until ${new Date(pause.until()).toISOString()}: Meta reported the app at or near its hourly limit`,
      retryAfterMs: left,
    }
  }

  function nextStep(page: AdsPage, firstQuery: Record<string, string>): NextStep {
    // Graph: a page can be empty and still have `next`; only a missing `next` ends the list.
    if (!page.next) return { kind: 'end' }
    let next: URL | undefined
    try {
      next = new URL(page.next)
    } catch {
      next = undefined
    }
    // `next` carries our token, so it is only followed to the host we were configured for.
    if (next && next.origin === graph.origin && next.pathname === archivePath) {
      return { kind: 'follow', request: { path: next.pathname + next.search, query: token ? { access_token: token } : {} } }
    }
    if (page.after) return { kind: 'follow', request: { path: '/ads_archive', query: { ...firstQuery, after: page.after } } }
    return { kind: 'unreachable' }
  }

  async function collect(terms: string, now: Date, signal: AbortSignal, deadline: AbortSignal): Promise<SourceResult<FacebookAdStats>> {
    const firstQuery: Record<string, string> = {
      search_terms: terms,
      ad_reached_countries: JSON.stringify(countries),
      ad_active_status: 'ACTIVE',
      ad_type: 'ALL',
      search_type: 'KEYWORD_UNORDERED',
      fields: FIELDS,
      limit: String(pageLimit),
      access_token: token!,
    }
    const ads: ArchivedAd[] = []
    let request: PageRequest = { path: '/ads_archive', query: firstQuery }
    for (let pages = 1; ; pages++) {
      let res: UpstreamResponse
      try {
        res = await upstream.request({ method: 'GET', path: request.path, query: request.query, idempotent: true, retryAfterBody: graphRetryDelay, signal })
      } catch (err) {
        return fromThrown(err, deadline, options.timeoutMs)
      }
      await observeUsage(res)
      const parsed = parseBody(res.body)
      if (parsed.kind === 'graph_error') {
        const failure = graphErrorToFailure(parsed.error, res.headers, clean)
        return failure.status === 'rate_limited' ? throttled(failure) : failure
      }
      if (res.status === 429) return throttled({ status: 'rate_limited', reason: 'Meta Ad Library answered HTTP 429', ...retryAfter(res) })
      if (res.status >= 300) return { status: 'unavailable', reason: `Meta Ad Library answered HTTP ${res.status}`, ...(res.status >= 500 ? { outage: true } : {}) }
      if (parsed.kind === 'malformed') return { status: 'unavailable', reason: `Meta Ad Library answered with ${parsed.why}`, outage: true }
      ads.push(...parsed.page.ads)
      const step = nextStep(parsed.page, firstQuery)
      if (step.kind === 'end') return { status: 'ok', data: summarizeAds(ads, now, false) }
      // Stopping early (page cap, a foreign `next`, our own throttle) still gives a usable, flagged count.
      if (step.kind === 'unreachable' || pages >= maxPages || selfThrottled()) return { status: 'ok', data: summarizeAds(ads, now, true) }
      request = step.request
    }
  }

  async function adStats(terms: string, now: Date, signal?: AbortSignal): Promise<SourceResult<FacebookAdStats>> {
    if (!token) return { status: 'not_configured', reason: 'FACEBOOK_ACCESS_TOKEN is not set' }
    if (countries.length === 0) return { status: 'not_configured', reason: 'FACEBOOK_AD_COUNTRIES is empty' }
    const search = terms.trim()
    if (search === '') return { status: 'unavailable', reason: 'no search terms to look up in the Ad Library' }
    // The local copy first: while paused nothing, not even Redis, is asked.
    if (selfThrottled()) return selfThrottled()!
    await pause.refresh()
    const paused = selfThrottled()
    if (paused) return paused
    return circuit.run(async () => {
      const deadline = AbortSignal.timeout(options.timeoutMs)
      try {
        return await collect(search, now, signal ? AbortSignal.any([deadline, signal]) : deadline, deadline)
      } catch (err) {
        // The contract is a SourceResult, never an exception: a bug here must not fail a validation.
        return { status: 'unavailable', reason: clean(`unexpected error: ${err instanceof Error ? err.message : String(err)}`) }
      }
    })
  }

  return {
    adStats,
    usage: () => (lastUsage ? { ...lastUsage } : undefined),
    async state(at) {
      const until = pause.until()
      const paused = until > clock() ? new Date(until).toISOString() : undefined
      // Meta reports usage as a percentage of the app's rolling-hour budget (X-App-Usage).
      const budgets = lastUsage ? [{ name: 'app usage %', used: Math.max(lastUsage.callCount, lastUsage.totalTime, lastUsage.totalCputime), limit: 100 }] : []
      return { ...circuit.state(at), budgets, ...(paused ? { pausedUntil: paused } : {}) }
    },
    close: () => upstream.close(),
  }
}

function retryAfter(res: UpstreamResponse): { retryAfterMs?: number } {
  const ms = retryAfterMs(res.headers['retry-after'])
  return ms === undefined ? {} : { retryAfterMs: ms }
}

function fromThrown(err: unknown, deadline: AbortSignal, timeoutMs: number): SourceFailure {
  if (err instanceof UpstreamError) {
    if (err.code === 'UPSTREAM_TIMEOUT' || (err.code === 'UPSTREAM_ABORTED' && deadline.aborted)) {
      return { status: 'unavailable', reason: `Meta Ad Library did not answer within ${timeoutMs} ms`, outage: true }
    }
    if (err.code === 'UPSTREAM_ABORTED') return { status: 'unavailable', reason: 'Meta Ad Library call aborted' }
    return { status: 'unavailable', reason: err.message, outage: true }
  }
  throw err
}
