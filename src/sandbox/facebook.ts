import { randomBytes } from 'node:crypto'
import type { FacebookAdStats } from '../validation/sources.ts'
import { type Behaviour, DEFAULT_LATENCY_MS, defaultBehaviour, type SandboxReply, type SandboxRequest, type SandboxServer, startSandboxServer } from './behaviour.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'
import { seeded } from './random.ts'

// A stand-in for Meta's Ad Library (`GET /vNN.0/ads_archive`) that speaks its wire format
// (upstream-apis.md section 2): Graph errors as HTTP 400 with a code, cursor paging with a `next`
// URL that carries every query parameter (the token too), date-only start times, usage headers.

export interface FacebookSandboxOptions {
  behaviour?: Partial<Behaviour>
  accessToken?: string
  /** the sandbox's clock: ads started so many days before its current UTC day */
  now?: () => Date
  /** calls in the rolling hour that bring X-App-Usage call_count to 100 % */
  appCallBudget?: number
  /** origin written into `paging.next` instead of the request's Host (a foreign host, for tests) */
  nextOrigin?: string
}

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
const MAX_ADS = 1200
const DEFAULT_LIMIT = 25
const MAX_LIMIT = 1000
const ARCHIVE_PATH = /^\/v\d+\.\d+\/ads_archive\/?$/

// ISO codes the sandbox accepts in ad_reached_countries: the EU/EEA, the UK and a few others.
const COUNTRIES = new Set(
  'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK GB NO IS LI CH US CA BR MX AU NZ IN JP'.split(' '),
)

export interface SandboxAd {
  id: string
  pageId: string
  pageName: string
  createdMs: number
  /** undefined for the few ads Graph gives no delivery start for */
  startMs: number | undefined
  /** datetime instead of date-only strings */
  isoDates: boolean
  platforms: string[]
  body: string
  language: string
}

export interface FacebookDataset {
  ads: SandboxAd[]
  /** the first page after the first one comes back empty, with a `next` */
  emptySecondPage: boolean
}

/** KEYWORD_UNORDERED ignores case, spacing and word order. */
export function normalizeTerms(terms: string): string {
  return terms.toLowerCase().split(/\s+/).filter(Boolean).sort().join(' ')
}

const PAGE_WORDS = ['Shop', 'Store', 'Deals', 'Trends', 'Outlet', 'Boutique', 'Finds', 'Market', 'Hub', 'Co']
const PAGE_PREFIXES = ['Nova', 'Urban', 'Happy', 'Prime', 'Lumi', 'Bright', 'Cozy', 'Smart', 'Vita', 'Pure', 'Elite', 'Daily']
const PLATFORM_SETS = [['facebook'], ['instagram'], ['facebook', 'instagram'], ['facebook', 'instagram', 'messenger'], ['facebook', 'audience_network', 'instagram', 'messenger']]
const LANGUAGES = ['de', 'fr', 'es', 'it', 'nl', 'en', 'pl']

/** Every active ad the sandbox holds for these terms and countries, dated relative to `now`'s UTC day. */
export function facebookDataset(terms: string, countries: readonly string[], now: Date): FacebookDataset {
  const key = `${normalizeTerms(terms)}|${[...countries].map((c) => c.toUpperCase()).sort().join(',')}`
  const rng = seeded(`facebook:${key}`)
  // Most product searches find some ads, a few none, hot products hundreds.
  const total = rng.next() < 0.12 ? 0 : Math.min(MAX_ADS, Math.round(rng.logUniform(1, MAX_ADS)))
  const advertiserCount = Math.max(1, Math.min(total, Math.round(total / rng.logUniform(1.3, 6))))
  const newShare = rng.next() * 0.3
  const maxAge = rng.int(30, 400)
  const emptySecondPage = rng.next() < 0.25
  const idBase = 1_200_000_000_000_000 + rng.int(0, 99_999_999) * 10_000
  const pages = Array.from({ length: advertiserCount }, (_, i) => ({
    id: String(100_064_000_000_000 + rng.int(0, 999_999_999) * 1000 + i),
    name: `${rng.pick(PAGE_PREFIXES)} ${rng.pick(PAGE_WORDS)}${i > 0 && rng.next() < 0.3 ? ` ${i}` : ''}`,
  }))
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS
  const ads: SandboxAd[] = []
  for (let i = 0; i < total; i++) {
    const isoDates = rng.next() < 0.2
    let age = rng.next() < newShare ? rng.int(0, 6) : rng.int(7, maxAge)
    // A datetime start on the current day could lie after `now`; a running ad cannot.
    if (isoDates && age === 0) age = 1
    const startMs = today - age * DAY_MS + (isoDates ? rng.int(0, 23) * HOUR_MS + rng.int(0, 59) * 60_000 : 0)
    const createdMs = startMs - rng.int(0, 3) * DAY_MS
    // A few advertisers run most of the ads.
    const page = pages[Math.floor(rng.next() ** 2 * advertiserCount)]!
    ads.push({
      id: String(idBase + i),
      pageId: page.id,
      pageName: page.name,
      createdMs,
      startMs: rng.next() < 0.03 ? undefined : startMs,
      isoDates,
      platforms: rng.pick(PLATFORM_SETS),
      body: `${rng.pick(['New', 'Trending', 'Limited offer', 'Bestseller', 'Only today'])}: ${terms.trim()} ${rng.pick(['-50%', 'free delivery', 'in stock', 'gift idea'])}`,
      language: rng.pick(LANGUAGES),
    })
  }
  return { ads, emptySecondPage }
}

export type ExpectedAdStats = FacebookAdStats & { emptySecondPage: boolean }

/** What a client that reads every page must report for these terms; computed apart from the client. */
export function expectedStats(terms: string, countries: readonly string[], now: Date): ExpectedAdStats {
  const { ads, emptySecondPage } = facebookDataset(terms, countries, now)
  const ages = ads.map((ad) => Math.max(0, Math.floor((now.getTime() - (ad.startMs ?? ad.createdMs)) / DAY_MS))).sort((a, b) => a - b)
  const n = ages.length
  const mid = Math.floor(n / 2)
  return {
    activeAds: n,
    advertisers: new Set(ads.map((ad) => ad.pageId)).size,
    medianAdAgeDays: n === 0 ? null : n % 2 === 1 ? ages[mid]! : Math.round((ages[mid - 1]! + ages[mid]!) / 2),
    longestRunningAdDays: n === 0 ? null : ages[n - 1]!,
    newAdsLast7Days: ages.filter((age) => age <= 6).length,
    truncated: false,
    emptySecondPage,
  }
}

function graphDate(ms: number, iso: boolean): string {
  const text = new Date(ms).toISOString()
  return iso ? `${text.slice(0, 19)}+0000` : text.slice(0, 10)
}

function toWire(ad: SandboxAd, fields: ReadonlySet<string>, token: string): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: ad.id,
    ad_creation_time: graphDate(ad.createdMs, ad.isoDates),
    ad_delivery_start_time: ad.startMs === undefined ? undefined : graphDate(ad.startMs, ad.isoDates),
    ad_creative_bodies: [ad.body],
    ad_snapshot_url: `https://www.facebook.com/ads/archive/render_ad/?id=${ad.id}&access_token=${token}`,
    languages: [ad.language],
    page_id: ad.pageId,
    page_name: ad.pageName,
    publisher_platforms: ad.platforms,
  }
  const out: Record<string, unknown> = { id: ad.id }
  for (const field of fields) if (all[field] !== undefined) out[field] = all[field]
  return out
}

function graphError(code: number, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: randomBytes(9).toString('base64url') } })
}

const badParam = (message: string): SandboxReply => ({ status: 400, body: graphError(100, `(#100) ${message}`) })

function encodeCursor(offset: number, emptyServed: boolean): string {
  return Buffer.from(`${offset}:${emptyServed ? 1 : 0}`).toString('base64')
}

function decodeCursor(cursor: string): { offset: number; emptyServed: boolean } | undefined {
  const m = /^(\d+):([01])$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))
  return m ? { offset: Number(m[1]), emptyServed: m[2] === '1' } : undefined
}

function parseCountries(raw: string | null): string[] | SandboxReply {
  if (raw === null || raw.trim() === '') return badParam('The parameter ad_reached_countries is required')
  let list: unknown
  try {
    // Graph takes the array literal with either quote style: ['DE','FR'] or ["DE","FR"].
    list = JSON.parse(raw.replace(/'/g, '"'))
  } catch {
    list = undefined
  }
  if (!Array.isArray(list) || list.length === 0) return badParam('Param ad_reached_countries must be an array')
  const allowed = [...COUNTRIES].sort().join(', ')
  for (const [i, code] of list.entries()) {
    if (typeof code !== 'string' || !COUNTRIES.has(code)) return badParam(`Param ad_reached_countries[${i}] must be one of {${allowed}}.`)
  }
  return list as string[]
}

export async function createFacebookSandbox(options: FacebookSandboxOptions = {}): Promise<SandboxServer> {
  const token = options.accessToken ?? SANDBOX_CREDENTIALS.facebook.accessToken
  const clock = options.now ?? (() => new Date())
  const budget = options.appCallBudget ?? 200
  const served: number[] = []
  const datasets = new Map<string, FacebookDataset>()

  function appUsage(): string {
    const since = Date.now() - HOUR_MS
    while (served.length > 0 && served[0]! < since) served.shift()
    const percent = Math.min(100, Math.floor((served.length * 100) / budget))
    return JSON.stringify({ call_count: percent, total_time: Math.floor(percent * 0.7), total_cputime: Math.floor(percent * 0.5) })
  }

  function dataset(terms: string, countries: string[], now: Date): FacebookDataset {
    const key = `${normalizeTerms(terms)}|${[...countries].sort().join(',')}|${Math.floor(now.getTime() / DAY_MS)}`
    let found = datasets.get(key)
    if (!found) {
      found = facebookDataset(terms, countries, now)
      if (datasets.size >= 64) datasets.delete(datasets.keys().next().value!)
      datasets.set(key, found)
    }
    return found
  }

  function archive(req: SandboxRequest): SandboxReply {
    const q = req.url.searchParams
    if (req.method !== 'GET') return badParam('Unsupported post request. Please read the Graph API documentation')
    if (q.get('access_token') !== token) {
      return {
        status: 400,
        headers: { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token - Cannot parse access token"' },
        body: graphError(190, 'Invalid OAuth access token - Cannot parse access token', { error_subcode: 460 }),
      }
    }
    const countries = parseCountries(q.get('ad_reached_countries'))
    if (!Array.isArray(countries)) return countries
    const adType = q.get('ad_type')
    if (!adType) return badParam('The parameter ad_type is required')
    if (!['ALL', 'POLITICAL_AND_ISSUE_ADS', 'HOUSING_ADS', 'EMPLOYMENT_ADS', 'FINANCIAL_PRODUCTS_AND_SERVICES_ADS'].includes(adType)) {
      return badParam('Param ad_type must be one of {ALL, POLITICAL_AND_ISSUE_ADS, HOUSING_ADS, EMPLOYMENT_ADS, FINANCIAL_PRODUCTS_AND_SERVICES_ADS}')
    }
    const status = q.get('ad_active_status') ?? 'ACTIVE'
    if (!['ACTIVE', 'INACTIVE', 'ALL'].includes(status)) return badParam('Param ad_active_status must be one of {ACTIVE, INACTIVE, ALL}')
    const terms = q.get('search_terms') ?? ''
    if (terms.trim() === '' && !q.get('search_page_ids')) return badParam('The parameter search_terms or search_page_ids is required')
    const rawLimit = q.get('limit')
    const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit)
    if (!Number.isInteger(limit) || limit < 1) return badParam('Param limit must be a positive integer')
    const after = q.get('after')
    const cursor = after === null ? { offset: 0, emptyServed: false } : decodeCursor(after)
    if (!cursor) return badParam('Invalid cursor')
    // Without `fields` Graph returns bare ids.
    const fields = new Set((q.get('fields') ?? 'id').split(',').map((f) => f.trim()))

    // The sandbox holds only running ads, and only the page-less keyword search.
    const ads = status === 'INACTIVE' || terms.trim() === '' ? [] : dataset(terms, countries, clock()).ads
    const emptySecondPage = terms.trim() !== '' && dataset(terms, countries, clock()).emptySecondPage
    const pageSize = Math.min(limit, MAX_LIMIT)
    let slice: SandboxAd[]
    let nextCursor: string | undefined
    let before: string
    if (emptySecondPage && cursor.offset > 0 && !cursor.emptyServed) {
      slice = []
      before = nextCursor = encodeCursor(cursor.offset, true)
    } else {
      slice = ads.slice(cursor.offset, cursor.offset + pageSize)
      const end = cursor.offset + slice.length
      before = encodeCursor(cursor.offset, cursor.emptyServed)
      // Graph cannot tell a full last page from a middle one: it offers `next`, which then comes back empty.
      if (end < ads.length || (slice.length === pageSize && slice.length > 0)) nextCursor = encodeCursor(end, cursor.emptyServed)
    }
    const body: Record<string, unknown> = { data: slice.map((ad) => toWire(ad, fields, token)) }
    if (slice.length > 0 || nextCursor) {
      const paging: Record<string, unknown> = { cursors: { before, after: nextCursor ?? encodeCursor(cursor.offset + slice.length, cursor.emptyServed) } }
      if (nextCursor) {
        const next = new URLSearchParams(q)
        next.set('after', nextCursor)
        const origin = options.nextOrigin ?? `http://${req.headers.host ?? '127.0.0.1'}`
        paging.next = `${origin}${req.url.pathname}?${next.toString()}`
      }
      body.paging = paging
    }
    return { status: 200, body: JSON.stringify(body) }
  }

  const rateLimited = (extraHeaders: Record<string, string>): SandboxReply => ({
    status: 400,
    headers: {
      'www-authenticate': 'OAuth "Facebook Platform" "invalid_request" "(#4) Application request limit reached"',
      'x-app-usage': JSON.stringify({ call_count: 100, total_time: 70, total_cputime: 50 }),
      ...extraHeaders,
    },
    body: graphError(4, '(#4) Application request limit reached', { is_transient: true }),
  })

  return startSandboxServer(
    'facebook',
    {
      operation(req) {
        // Every request received counts toward the app's usage, as it does at Meta.
        served.push(Date.now())
        return ARCHIVE_PATH.test(req.url.pathname) ? 'ads_archive' : 'unknown'
      },
      answer(req) {
        const reply = ARCHIVE_PATH.test(req.url.pathname)
          ? archive(req)
          : { status: 400, body: graphError(2500, `Unknown path components: ${req.url.pathname}`) }
        return { ...reply, headers: { 'x-app-usage': appUsage(), ...reply.headers } }
      },
      fault(mode, _req, behaviour) {
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
      },
    },
    { ...defaultBehaviour(DEFAULT_LATENCY_MS.facebook), ...options.behaviour },
    '/v24.0',
  )
}
