import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import { createFacebookSandbox, type ExpectedAdStats, expectedStats, type FacebookSandboxOptions } from '../../src/sandbox/facebook.ts'
import { createFacebookClient, type FacebookClientOptions } from '../../src/sources/facebook/client.ts'
import { businessUseCaseWaitMs, parseAppUsage, parseBody, parseGraphDate, summarizeAds } from '../../src/sources/facebook/parse.ts'
import type { CallEvent } from '../../src/sources/http.ts'
import type { FacebookAdStats, SourceResult } from '../../src/validation/sources.ts'

const NOW = new Date('2026-09-10T12:00:00Z')
const TOKEN = SANDBOX_CREDENTIALS.facebook.accessToken
const FIXTURE_TOKEN = 'EAAFixtureToken0000'
const COUNTRIES = ['DE', 'FR', 'ES', 'IT', 'NL']

// Every call event and failure reason of the whole file, checked for credentials at the end.
const allEvents: CallEvent[] = []
const allReasons: string[] = []

interface Closes {
  teardown(fn: () => unknown): void
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facebook/${name}`, import.meta.url), 'utf8')

async function startSandbox(t: Closes, options: FacebookSandboxOptions = {}) {
  const sandbox = await createFacebookSandbox({ now: () => NOW, ...options, behaviour: { latencyMs: 0, jitterMs: 2, ...options.behaviour } })
  t.teardown(() => sandbox.close())
  return sandbox
}

function startClient(t: Closes, graphUrl: string, overrides: Partial<FacebookClientOptions> = {}) {
  const events: CallEvent[] = []
  const client = createFacebookClient({
    graphUrl,
    accessToken: TOKEN,
    adCountries: COUNTRIES,
    timeoutMs: 3000,
    pageLimit: 25,
    onCall: (event) => {
      events.push(event)
      allEvents.push(event)
    },
    ...overrides,
  })
  t.teardown(() => client.close())
  const adStats = async (terms: string): Promise<SourceResult<FacebookAdStats>> => {
    const result = await client.adStats(terms, NOW)
    if (result.status !== 'ok') allReasons.push(result.reason)
    return result
  }
  return { client, events, adStats }
}

interface Reply {
  status: number
  headers?: Record<string, string>
  body: string
}

/** A plain loopback server that answers from fixtures and records what it was asked. */
async function startFixtureServer(t: Closes, route: (url: URL) => Reply) {
  const hits: URL[] = []
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture.local')
    hits.push(url)
    const reply = route(url)
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers })
    res.end(reply.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return { origin: `http://127.0.0.1:${port}`, graphUrl: `http://127.0.0.1:${port}/v24.0`, hits }
}

/** The first search terms whose sandbox data set has the wanted shape, so numbers are never hard-coded. */
function findTerms(want: (stats: ExpectedAdStats) => boolean, countries = COUNTRIES): { terms: string; expected: ExpectedAdStats } {
  for (let i = 0; i < 20_000; i++) {
    const terms = `garden gadget ${i}`
    const expected = expectedStats(terms, countries, NOW)
    if (want(expected)) return { terms, expected }
  }
  throw new Error('no sandbox terms with the wanted shape')
}

function statsOf(expected: ExpectedAdStats, truncated = false): FacebookAdStats {
  const { emptySecondPage: _, ...stats } = expected
  return { ...stats, truncated }
}

t.test('summarizeAds over the fixture: date-only and ISO dates, fallbacks, duplicates', async (t) => {
  const parsed = parseBody(fixture('ads-date-formats.json'))
  if (parsed.kind !== 'page') throw new Error('fixture must parse as a page')
  // Ages at NOW (2026-09-10T12:00Z): 3, 6 (+0000 datetime), 7 (exactly 7 days), 90 (creation only),
  // 365, duplicate skipped, undated, 0 (future start), 0 (bad start, creation with +02:00).
  t.same(summarizeAds(parsed.page.ads, NOW, false), {
    activeAds: 8,
    advertisers: 4,
    medianAdAgeDays: 6,
    longestRunningAdDays: 365,
    newAdsLast7Days: 4,
    truncated: false,
  })
  t.equal(summarizeAds(parsed.page.ads, NOW, true).truncated, true)
})

t.test('summarizeAds edge cases', async (t) => {
  t.same(summarizeAds([], NOW, false), { activeAds: 0, advertisers: 0, medianAdAgeDays: null, longestRunningAdDays: null, newAdsLast7Days: 0, truncated: false })
  const even = [
    { id: '1', page_id: 'a', ad_delivery_start_time: '2026-09-09' },
    { id: '2', page_id: 'a', ad_delivery_start_time: '2026-09-06' },
  ]
  // ages 1 and 4: the mean 2.5 rounds to 3
  t.equal(summarizeAds(even, NOW, false).medianAdAgeDays, 3)
  t.same(summarizeAds([{ id: '1' }, { id: '2', page_id: 'x' }], NOW, false), {
    activeAds: 2,
    advertisers: 1,
    medianAdAgeDays: null,
    longestRunningAdDays: null,
    newAdsLast7Days: 0,
    truncated: false,
  })
})

t.test('parseGraphDate reads the forms Graph writes', async (t) => {
  t.equal(parseGraphDate('2026-09-07'), Date.UTC(2026, 8, 7))
  t.equal(parseGraphDate('2026-09-07T10:20:30+0000'), Date.UTC(2026, 8, 7, 10, 20, 30))
  t.equal(parseGraphDate('2026-09-07T10:20:30-0130'), Date.UTC(2026, 8, 7, 11, 50, 30))
  t.equal(parseGraphDate('2026-09-07T10:20:30Z'), Date.UTC(2026, 8, 7, 10, 20, 30))
  // no offset: Graph times are UTC, not the machine's zone
  t.equal(parseGraphDate('2026-09-07T10:20:30'), Date.UTC(2026, 8, 7, 10, 20, 30))
  t.equal(parseGraphDate('07/09/2026'), undefined)
  t.equal(parseGraphDate('2026-13-45'), undefined)
  t.equal(parseGraphDate(undefined), undefined)
})

t.test('usage headers', async (t) => {
  t.same(parseAppUsage('{"call_count":28,"total_time":25,"total_cputime":25}'), { callCount: 28, totalTime: 25, totalCputime: 25 })
  t.same(parseAppUsage('{"call_count":3}'), { callCount: 3, totalTime: 0, totalCputime: 0 })
  t.equal(parseAppUsage('{}'), undefined)
  t.equal(parseAppUsage('not json'), undefined)
  t.equal(parseAppUsage(undefined), undefined)
  const samples = JSON.parse(readFileSync(new URL('../fixtures/facebook/usage-headers.json', import.meta.url), 'utf8')) as Record<string, string>
  t.equal(businessUseCaseWaitMs(samples['X-Business-Use-Case-Usage']), undefined, 'a zero wait is no wait')
  t.equal(businessUseCaseWaitMs('{"1":[{"estimated_time_to_regain_access":2}],"2":[{"estimated_time_to_regain_access":5}]}'), 300_000)
})

t.test('sandbox over HTTP: every page counted, exact numbers', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms, expected } = findTerms((e) => e.activeAds > 75 && e.activeAds < 100 && !e.emptySecondPage)
  const { adStats } = startClient(t, sandbox.url)
  const result = await adStats(terms)
  t.same(result, { status: 'ok', data: statsOf(expected) })
  t.equal(sandbox.calls.get('ads_archive'), 4, `${expected.activeAds} ads at 25 a page are 4 pages`)
  t.ok(expected.advertisers < expected.activeAds && expected.advertisers > 0)
  t.ok(expected.newAdsLast7Days >= 0 && expected.longestRunningAdDays! <= 401)
})

t.test('an empty page that still has next is followed', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms, expected } = findTerms((e) => e.emptySecondPage && e.activeAds > 30 && e.activeAds < 100 && e.activeAds % 25 !== 0)
  const { adStats } = startClient(t, sandbox.url)
  t.same(await adStats(terms), { status: 'ok', data: statsOf(expected) })
  t.equal(sandbox.calls.get('ads_archive'), Math.ceil(expected.activeAds / 25) + 1)
})

t.test('a full last page offers next; the empty page after it ends the list', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms, expected } = findTerms((e) => !e.emptySecondPage && e.activeAds > 0 && e.activeAds <= 75 && e.activeAds % 25 === 0)
  const { adStats } = startClient(t, sandbox.url)
  t.same(await adStats(terms), { status: 'ok', data: statsOf(expected) })
  t.equal(sandbox.calls.get('ads_archive'), expected.activeAds / 25 + 1)
})

t.test('maxPages stops the count and flags it', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms } = findTerms((e) => !e.emptySecondPage && e.activeAds > 100)
  const { adStats } = startClient(t, sandbox.url, { maxPages: 2 })
  const result = await adStats(terms)
  if (result.status !== 'ok') throw new Error(result.reason)
  t.equal(result.data.activeAds, 50)
  t.equal(result.data.truncated, true)
  t.equal(sandbox.calls.get('ads_archive'), 2)
})

t.test('a hot term with the default page size', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms, expected } = findTerms((e) => !e.emptySecondPage && e.activeAds > 750 && e.activeAds < 1000 && e.activeAds % 250 !== 0)
  const { adStats } = startClient(t, sandbox.url, { pageLimit: undefined })
  t.same(await adStats(terms), { status: 'ok', data: statsOf(expected) })
  t.equal(sandbox.calls.get('ads_archive'), 2, 'two pages of 500')
  t.ok(expected.newAdsLast7Days > 0 && expected.longestRunningAdDays! > 30, 'old and new ads both present')
})

t.test('no ads at all', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms } = findTerms((e) => e.activeAds === 0)
  const { adStats } = startClient(t, sandbox.url)
  t.same(await adStats(terms), {
    status: 'ok',
    data: { activeAds: 0, advertisers: 0, medianAdAgeDays: null, longestRunningAdDays: null, newAdsLast7Days: 0, truncated: false },
  })
  t.equal(sandbox.totalCalls(), 1)
})

t.test('missing token: not_configured without a call', async (t) => {
  const sandbox = await startSandbox(t)
  const { adStats } = startClient(t, sandbox.url, { accessToken: undefined })
  const result = await adStats('led lights')
  t.equal(result.status, 'not_configured')
  t.equal(sandbox.totalCalls(), 0)
})

t.test('Graph errors from the sandbox, mapped by code and not retried', async (t) => {
  const sandbox = await startSandbox(t)

  const wrongToken = startClient(t, sandbox.url, { accessToken: 'EAAWrongTokenForTheSandbox1234' })
  const denied = await wrongToken.adStats('led lights')
  t.match(denied, { status: 'not_configured', reason: /invalid or expired.*190/ })
  t.equal(sandbox.totalCalls(), 1, 'code 190 is not retried')
  t.notMatch(JSON.stringify(denied), 'EAAWrongTokenForTheSandbox1234')
  t.notMatch(JSON.stringify(wrongToken.events), 'EAAWrongTokenForTheSandbox1234')

  sandbox.resetCalls()
  const badCountry = startClient(t, sandbox.url, { adCountries: ['XX'] })
  t.match(await badCountry.adStats('led lights'), { status: 'unavailable', reason: /^invalid parameter: Param ad_reached_countries\[0\] must be one of/ })
  t.equal(sandbox.totalCalls(), 1)
})

t.test('each fault mode gives the right status within the deadline', async (t) => {
  const cases = [
    { fault: 'error', status: 'unavailable', calls: 3, timeoutMs: 3000 },
    { fault: 'http500', status: 'unavailable', calls: 3, timeoutMs: 3000 },
    { fault: 'http503', status: 'unavailable', calls: 3, timeoutMs: 3000 },
    { fault: 'rate_limit', status: 'rate_limited', calls: 1, timeoutMs: 3000 },
    { fault: 'quota', status: 'rate_limited', calls: 1, timeoutMs: 3000 },
    { fault: 'html', status: 'unavailable', calls: 1, timeoutMs: 3000 },
    { fault: 'truncated', status: 'unavailable', calls: 1, timeoutMs: 3000 },
    { fault: 'timeout', status: 'unavailable', calls: 1, timeoutMs: 400 },
  ] as const
  for (const c of cases) {
    t.test(c.fault, async (t) => {
      const sandbox = await startSandbox(t, { behaviour: { faultRate: 1, fault: c.fault, retryAfterSeconds: 1 } })
      const { adStats } = startClient(t, sandbox.url, { timeoutMs: c.timeoutMs })
      const started = performance.now()
      const result = await adStats('led lights')
      const elapsed = performance.now() - started
      t.equal(result.status, c.status)
      t.equal(sandbox.totalCalls(), c.calls, 'only 5xx is retried')
      t.ok(elapsed < c.timeoutMs + 250, `answered in ${Math.round(elapsed)} ms`)
      if (c.fault === 'quota') t.equal(result.status !== 'ok' && result.retryAfterMs, 60_000, 'estimated_time_to_regain_access is in minutes')
      if (c.fault === 'timeout') t.match(result, { reason: /within 400 ms/ })
    })
  }
})

t.test('x-app-usage is kept, and at 95 % the client stops calling for 60 s', async (t) => {
  const sandbox = await startSandbox(t, { appCallBudget: 8 })
  let clock = 1_000_000
  const { client, adStats } = startClient(t, sandbox.url, { clock: () => clock })
  t.equal(client.usage(), undefined)
  await adStats(findTerms((e) => e.activeAds > 0 && e.activeAds < 25).terms)
  t.same(client.usage(), { callCount: 12, totalTime: 8, totalCputime: 6 }, 'one call of a budget of 8')

  const hot = await startSandbox(t, { appCallBudget: 2 })
  const throttled = startClient(t, hot.url, { clock: () => clock })
  const { terms } = findTerms((e) => !e.emptySecondPage && e.activeAds > 50)
  const first = await throttled.adStats(terms)
  t.match(first, { status: 'ok', data: { activeAds: 50, truncated: true } }, 'the second page reached 100 %: paging stops there')
  t.equal(hot.totalCalls(), 2)
  t.equal(throttled.client.usage()?.callCount, 100)

  const paused = await throttled.adStats(terms)
  t.match(paused, { status: 'rate_limited', retryAfterMs: 60_000 })
  t.equal(hot.totalCalls(), 2, 'no call while paused')
  clock += 30_000
  t.match(await throttled.adStats(terms), { status: 'rate_limited', retryAfterMs: 30_000 })
  clock += 30_001
  await throttled.adStats(terms)
  t.equal(hot.totalCalls(), 3, 'calls again once 60 s have passed')
})

t.test('a paging.next on a foreign host is never fetched: the cursor is used instead', async (t) => {
  const foreign = await startFixtureServer(t, () => ({ status: 200, body: '{"data":[]}' }))
  const sandbox = await startSandbox(t, { nextOrigin: foreign.origin })
  const { terms, expected } = findTerms((e) => !e.emptySecondPage && e.activeAds > 50 && e.activeAds < 75)
  const { adStats } = startClient(t, sandbox.url)
  t.same(await adStats(terms), { status: 'ok', data: statsOf(expected) })
  t.equal(sandbox.calls.get('ads_archive'), 3)
  t.equal(foreign.hits.length, 0)
})

t.test('fixture pages: foreign next, cursor fallback, empty page in the middle', async (t) => {
  const pages: Record<string, string> = {
    '': fixture('page-first-with-next.json'),
    'MjcxMjkwNjU1OTExMTAwMg==': fixture('page-empty-with-next.json'),
    'MjcxMjkwNjU1OTExMTAwMw==': fixture('page-last.json'),
  }
  const server = await startFixtureServer(t, (url) => {
    const body = pages[url.searchParams.get('after') ?? '']
    return body ? { status: 200, body } : { status: 400, body: fixture('error-invalid-param.json') }
  })
  const { adStats, events } = startClient(t, server.graphUrl, { adCountries: ['de', 'FR'] })
  const result = await adStats('garden lights')
  t.match(result, { status: 'ok', data: { activeAds: 3, advertisers: 2, newAdsLast7Days: 1, truncated: false } })
  t.same(
    server.hits.map((u) => u.searchParams.get('after')),
    [null, 'MjcxMjkwNjU1OTExMTAwMg==', 'MjcxMjkwNjU1OTExMTAwMw=='],
  )
  const first = server.hits[0]!
  t.equal(first.pathname, '/v24.0/ads_archive')
  t.same(Object.fromEntries(first.searchParams), {
    search_terms: 'garden lights',
    ad_reached_countries: '["DE","FR"]',
    ad_active_status: 'ACTIVE',
    ad_type: 'ALL',
    search_type: 'KEYWORD_UNORDERED',
    fields: 'id,page_id,page_name,ad_creation_time,ad_delivery_start_time,ad_delivery_stop_time,publisher_platforms',
    limit: '25',
    access_token: TOKEN,
  })
  t.equal(server.hits[2]!.searchParams.get('search_terms'), 'garden lights', 'the cursor request repeats the query')
  t.ok(events.every((e) => e.url.includes('access_token=[REDACTED]') && !e.url.includes(TOKEN)))
})

t.test('a foreign next without a cursor ends the count as truncated', async (t) => {
  const page = JSON.parse(fixture('page-first-with-next.json')) as { paging: Record<string, unknown> }
  delete page.paging.cursors
  const server = await startFixtureServer(t, () => ({ status: 200, body: JSON.stringify(page) }))
  const { adStats } = startClient(t, server.graphUrl)
  t.match(await adStats('garden lights'), { status: 'ok', data: { activeAds: 2, truncated: true } })
  t.equal(server.hits.length, 1)
})

t.test('Graph error fixtures on HTTP 400 are mapped by code', async (t) => {
  const cases = [
    { file: 'error-rate-limit.json', httpStatus: 400, status: 'rate_limited', hits: 1 },
    { file: 'error-user-rate-limit.json', httpStatus: 400, status: 'rate_limited', hits: 1 },
    {
      file: 'error-business-use-case.json',
      httpStatus: 400,
      status: 'rate_limited',
      hits: 1,
      headers: { 'x-business-use-case-usage': '{"987":[{"type":"ads_management","call_count":100,"total_cputime":12,"total_time":40,"estimated_time_to_regain_access":3}]}' },
      retryAfterMs: 180_000,
    },
    { file: 'error-token.json', httpStatus: 400, status: 'not_configured', hits: 1, reason: /access token is invalid or expired \(Graph code 190, subcode 463\)/ },
    { file: 'error-permission.json', httpStatus: 400, status: 'not_configured', hits: 1, reason: /permission/ },
    { file: 'error-invalid-param.json', httpStatus: 400, status: 'unavailable', hits: 1, reason: /^invalid parameter: Param ad_reached_countries/ },
    // Transient codes are retried whatever the status (https://developers.facebook.com/docs/graph-api/guides/error-handling).
    { file: 'error-transient.json', httpStatus: 400, status: 'unavailable', hits: 3, reason: /temporary/ },
    { file: 'error-transient.json', httpStatus: 500, status: 'unavailable', hits: 3 },
    // Throttling on HTTP 200 or 403 is still throttling: the code decides, not the status.
    { file: 'error-rate-limit.json', httpStatus: 403, status: 'rate_limited', hits: 1 },
  ] as const
  for (const c of cases) {
    t.test(`${c.file} on HTTP ${c.httpStatus}`, async (t) => {
      const server = await startFixtureServer(t, () => ({ status: c.httpStatus, headers: 'headers' in c ? c.headers : {}, body: fixture(c.file) }))
      const { adStats } = startClient(t, server.graphUrl)
      const result = await adStats('garden lights')
      t.equal(result.status, c.status)
      t.equal(server.hits.length, c.hits)
      if ('retryAfterMs' in c) t.equal(result.status !== 'ok' && result.retryAfterMs, c.retryAfterMs)
      if ('reason' in c) t.match(result, { reason: c.reason })
    })
  }
})

t.test('HTTP 429 without a Graph body is rate_limited with its Retry-After', async (t) => {
  const server = await startFixtureServer(t, () => ({ status: 429, headers: { 'retry-after': '5' }, body: 'Too Many Requests' }))
  const { adStats } = startClient(t, server.graphUrl, { timeoutMs: 1000 })
  t.same(await adStats('garden lights'), { status: 'rate_limited', reason: 'Meta Ad Library answered HTTP 429', retryAfterMs: 5000 })
  t.equal(server.hits.length, 1, 'a wait longer than the deadline is not attempted')
})

t.test('a connection refused is unavailable, not an exception', async (t) => {
  const sandbox = await createFacebookSandbox()
  const closedUrl = sandbox.url
  await sandbox.close()
  const { adStats } = startClient(t, closedUrl, { timeoutMs: 1000 })
  t.match(await adStats('garden lights'), { status: 'unavailable', reason: /network error/ })
})

t.test('the sandbox speaks the Graph wire format', async (t) => {
  const sandbox = await startSandbox(t)
  const { terms } = findTerms((e) => e.activeAds > 1000)
  const query = (params: Record<string, string>) => `${sandbox.url}/ads_archive?${new URLSearchParams(params)}`
  const base = { search_terms: terms, ad_reached_countries: '["DE","FR","ES","IT","NL"]', ad_type: 'ALL', access_token: TOKEN }

  const bare = await fetch(query(base))
  t.equal(bare.status, 200)
  t.match(JSON.parse(bare.headers.get('x-app-usage')!), { call_count: Number, total_time: Number, total_cputime: Number })
  const bareBody = (await bare.json()) as { data: Record<string, unknown>[]; paging: { next: string; cursors: { after: string } } }
  t.equal(bareBody.data.length, 25, 'default limit')
  t.same(Object.keys(bareBody.data[0]!), ['id'], 'without fields Graph returns ids only')
  const next = new URL(bareBody.paging.next)
  t.equal(next.host, `127.0.0.1:${new URL(sandbox.url).port}`)
  t.equal(next.searchParams.get('access_token'), TOKEN, 'next keeps the token, as Graph does')
  t.equal(next.searchParams.get('after'), bareBody.paging.cursors.after)

  const full = (await (
    await fetch(query({ ...base, limit: '5000', fields: 'id,page_id,page_name,ad_creation_time,ad_delivery_start_time,ad_delivery_stop_time,ad_snapshot_url,publisher_platforms' }))
  ).json()) as { data: Record<string, unknown>[] }
  t.equal(full.data.length, 1000, 'limit is capped at 1000')
  t.ok(full.data.every((ad) => /^\d+$/.test(String(ad.id)) && /^\d+$/.test(String(ad.page_id))))
  t.ok(full.data.every((ad) => ad.ad_delivery_stop_time === undefined), 'running ads have no stop time')
  t.ok(full.data.every((ad) => String(ad.ad_snapshot_url).includes(`access_token=${TOKEN}`)))
  t.ok(full.data.every((ad) => (ad.publisher_platforms as string[]).every((p) => p === p.toLowerCase())))
  const starts = full.data.map((ad) => ad.ad_delivery_start_time).filter((s): s is string => typeof s === 'string')
  t.ok(starts.some((s) => /^\d{4}-\d{2}-\d{2}$/.test(s)), 'date-only start times')
  t.ok(starts.some((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/.test(s)), 'some datetime start times')
  t.ok(starts.length < full.data.length, 'a few ads without a start time')

  const errors = [
    { params: { ...base, access_token: '' }, code: 190 },
    { params: { ...base, access_token: 'EAAnotTheRightOne' }, code: 190 },
    { params: { ...base, ad_reached_countries: '' }, code: 100 },
    { params: { ...base, ad_reached_countries: 'DE,FR' }, code: 100 },
    { params: { ...base, ad_reached_countries: '["DEU"]' }, code: 100 },
    { params: { ...base, ad_type: '' }, code: 100 },
    { params: { ...base, limit: 'ten' }, code: 100 },
  ]
  for (const e of errors) {
    const res = await fetch(query(e.params))
    const body = (await res.json()) as { error: Record<string, unknown> }
    t.equal(res.status, 400)
    t.match(body.error, { message: String, type: 'OAuthException', code: e.code, fbtrace_id: String })
  }
  const single = await fetch(query({ ...base, ad_reached_countries: "['DE']" }))
  t.equal(single.status, 200, 'the single-quoted array literal is accepted too')
})

t.test('same data for the same normalized terms and countries', async (t) => {
  t.same(expectedStats('LED  strip Lights', COUNTRIES, NOW), expectedStats('lights led strip', ['NL', 'IT', 'ES', 'FR', 'DE'], NOW))
  const counts = Array.from({ length: 400 }, (_, i) => expectedStats(`gadget ${i}`, COUNTRIES, NOW).activeAds)
  t.ok(counts.some((n) => n === 0) && counts.some((n) => n > 0 && n < 10) && counts.some((n) => n >= 20 && n < 100) && counts.some((n) => n > 1000))
  t.ok(Math.max(...counts) <= 1200)
})

t.test('no credential in any reason or call event', async (t) => {
  t.ok(allEvents.length > 20 && allReasons.length > 10)
  const texts = [...allEvents.map((e) => e.url), ...allReasons]
  t.same(
    texts.filter((text) => text.includes(TOKEN) || text.includes(FIXTURE_TOKEN)),
    [],
  )
  t.ok(allEvents.some((e) => e.url.includes('access_token=[REDACTED]')))
})
