import { type Random, seeded } from './random.ts'

// The ads the Meta sandbox holds: a pure function of the search terms, the countries and the UTC
// day, so the server and expectedStats() always see the same ads.

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

interface AdvertiserPage {
  id: string
  name: string
}

/** How the advertisers and the ads' ages spread for one search. */
interface Market {
  pages: AdvertiserPage[]
  newShare: number
  maxAge: number
  idBase: number
  todayMs: number
}

export const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
const MAX_ADS = 1200
const PAGE_WORDS = ['Shop', 'Store', 'Deals', 'Trends', 'Outlet', 'Boutique', 'Finds', 'Market', 'Hub', 'Co']
const PAGE_PREFIXES = ['Nova', 'Urban', 'Happy', 'Prime', 'Lumi', 'Bright', 'Cozy', 'Smart', 'Vita', 'Pure', 'Elite', 'Daily']
const PLATFORM_SETS = [['facebook'], ['instagram'], ['facebook', 'instagram'], ['facebook', 'instagram', 'messenger'], ['facebook', 'audience_network', 'instagram', 'messenger']]
const LANGUAGES = ['de', 'fr', 'es', 'it', 'nl', 'en', 'pl']

/** KEYWORD_UNORDERED ignores case, spacing and word order. */
export function normalizeTerms(terms: string): string {
  return terms.toLowerCase().split(/\s+/).filter(Boolean).sort().join(' ')
}

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
  const market: Market = { pages: advertiserPages(rng, advertiserCount), newShare, maxAge, idBase, todayMs: Math.floor(now.getTime() / DAY_MS) * DAY_MS }
  const ads = Array.from({ length: total }, (_v, i) => simAd(rng, market, i, terms))
  return { ads, emptySecondPage }
}

function advertiserPages(rng: Random, count: number): AdvertiserPage[] {
  return Array.from({ length: count }, (_, i) => ({
    id: String(100_064_000_000_000 + rng.int(0, 999_999_999) * 1000 + i),
    name: `${rng.pick(PAGE_PREFIXES)} ${rng.pick(PAGE_WORDS)}${i > 0 && rng.next() < 0.3 ? ` ${i}` : ''}`,
  }))
}

function simAd(rng: Random, market: Market, i: number, terms: string): SandboxAd {
  const isoDates = rng.next() < 0.2
  let age = rng.next() < market.newShare ? rng.int(0, 6) : rng.int(7, market.maxAge)
  // A datetime start on the current day could lie after `now`; a running ad cannot.
  if (isoDates && age === 0) age = 1
  const startMs = market.todayMs - age * DAY_MS + (isoDates ? rng.int(0, 23) * HOUR_MS + rng.int(0, 59) * 60_000 : 0)
  const createdMs = startMs - rng.int(0, 3) * DAY_MS
  // A few advertisers run most of the ads.
  const page = market.pages[Math.floor(rng.next() ** 2 * market.pages.length)]!
  return {
    id: String(market.idBase + i),
    pageId: page.id,
    pageName: page.name,
    createdMs,
    startMs: rng.next() < 0.03 ? undefined : startMs,
    isoDates,
    platforms: rng.pick(PLATFORM_SETS),
    body: `${rng.pick(['New', 'Trending', 'Limited offer', 'Bestseller', 'Only today'])}: ${terms.trim()} ${rng.pick(['-50%', 'free delivery', 'in stock', 'gift idea'])}`,
    language: rng.pick(LANGUAGES),
  }
}
