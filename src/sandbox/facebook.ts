import { type Behaviour, DEFAULT_LATENCY_MS, defaultBehaviour, type SandboxReply, type SandboxRequest, type SandboxServer, startSandboxServer } from './behaviour.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'
import { DAY_MS, type FacebookDataset, facebookDataset, normalizeTerms } from './facebook-dataset.ts'
import { appUsageMeter, badParam, facebookFault, graphError, invalidToken } from './facebook-errors.ts'
import { parseArchiveQuery } from './facebook-query.ts'
import { adRecord, pageOf } from './facebook-wire.ts'

export { type ExpectedAdStats, expectedStats } from './facebook-expected.ts'

// A stand-in for Meta's Ad Library (`GET /vNN.0/ads_archive`,
// https://developers.facebook.com/docs/graph-api/reference/ads_archive/) that speaks its wire
// format: Graph errors as HTTP 400 with a code, cursor paging with a `next` URL that carries every
// query parameter (the token too), date-only start times, usage headers.
//
//   facebook-dataset.ts   the simulated ads, a pure function of terms, countries and day
//   facebook-query.ts     the query checked as Graph checks it
//   facebook-wire.ts      ad records, pages and cursors
//   facebook-errors.ts    Graph's errors, throttling and the X-App-Usage meter
//   facebook-expected.ts  what a client that reads every page must report

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

const ARCHIVE_PATH = /^\/v\d+\.\d+\/ads_archive\/?$/
const CACHED_DATASETS = 64

/** Datasets by terms, countries and day: paging through one search builds its ads once. */
function datasetCache(): (terms: string, countries: string[], now: Date) => FacebookDataset {
  const datasets = new Map<string, FacebookDataset>()
  return (terms, countries, now) => {
    const key = `${normalizeTerms(terms)}|${[...countries].sort().join(',')}|${Math.floor(now.getTime() / DAY_MS)}`
    let found = datasets.get(key)
    if (!found) {
      found = facebookDataset(terms, countries, now)
      if (datasets.size >= CACHED_DATASETS) datasets.delete(datasets.keys().next().value!)
      datasets.set(key, found)
    }
    return found
  }
}

export async function createFacebookSandbox(options: FacebookSandboxOptions = {}): Promise<SandboxServer> {
  const token = options.accessToken ?? SANDBOX_CREDENTIALS.facebook.accessToken
  const clock = options.now ?? (() => new Date())
  const usage = appUsageMeter(options.appCallBudget ?? 200)
  const dataset = datasetCache()

  function archive(req: SandboxRequest): SandboxReply {
    if (req.method !== 'GET') return badParam('Unsupported post request. Please read the Graph API documentation')
    if (req.url.searchParams.get('access_token') !== token) return invalidToken()
    const query = parseArchiveQuery(req.url.searchParams)
    if ('status' in query) return query
    const { terms, countries, cursor, limit, fields } = query
    const found = terms.trim() === '' ? undefined : dataset(terms, countries, clock())
    // The sandbox holds only running ads, and only the page-less keyword search.
    const ads = query.activeStatus === 'INACTIVE' || !found ? [] : found.ads
    const page = pageOf(ads, found?.emptySecondPage ?? false, cursor, limit)
    const body: Record<string, unknown> = { data: page.ads.map((ad) => adRecord(ad, fields, token)) }
    if (page.ads.length > 0 || page.next) body.paging = { cursors: page.cursors, ...(page.next ? { next: nextUrl(req, page.next) } : {}) }
    return { status: 200, body: JSON.stringify(body) }
  }

  /** The request's own URL with the next cursor: every query parameter, the token too. */
  function nextUrl(req: SandboxRequest, cursor: string): string {
    const next = new URLSearchParams(req.url.searchParams)
    next.set('after', cursor)
    const origin = options.nextOrigin ?? `http://${req.headers.host ?? '127.0.0.1'}`
    return `${origin}${req.url.pathname}?${next.toString()}`
  }

  return startSandboxServer(
    'facebook',
    {
      operation(req) {
        // Every request received counts toward the app's usage, as it does at Meta.
        usage.count()
        return ARCHIVE_PATH.test(req.url.pathname) ? 'ads_archive' : 'unknown'
      },
      answer(req) {
        const reply = ARCHIVE_PATH.test(req.url.pathname)
          ? archive(req)
          : { status: 400, body: graphError(2500, `Unknown path components: ${req.url.pathname}`) }
        return { ...reply, headers: { 'x-app-usage': usage.header(), ...reply.headers } }
      },
      fault: (mode, _req, behaviour) => facebookFault(mode, behaviour),
    },
    { ...defaultBehaviour(DEFAULT_LATENCY_MS.facebook), ...options.behaviour },
    '/v24.0',
  )
}
