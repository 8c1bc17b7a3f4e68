import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import type { Behaviour } from '../../src/sandbox/behaviour.ts'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import { createYoutubeSandbox, type YoutubeSandboxOptions } from '../../src/sandbox/youtube.ts'
import type { CallEvent } from '../../src/sources/http.ts'
import { createYoutubeClient, type YoutubeClientOptions } from '../../src/sources/youtube/client.ts'
import { classifyFailure, computeStats, parseGoogleError, parseSearchList, parseVideoList, rateLimitRetryDelay } from '../../src/sources/youtube/parse.ts'
import { createMemoryQuotaCounter } from '../../src/quota/counter.ts'
import { nextPacificMidnight } from '../../src/quota/pacific-day.ts'

const KEY = SANDBOX_CREDENTIALS.youtube.apiKey
const fixture = (name: string) => readFileSync(new URL(`../fixtures/youtube/${name}`, import.meta.url), 'utf8')
const QUICK: Partial<Behaviour> = { latencyMs: 0, jitterMs: 0 }

// Every reason and every logged URL seen in this file, checked for the key at the end.
const seenReasons: string[] = []
const seenUrls: string[] = []

async function setup(
  t: Test,
  options: { sandbox?: YoutubeSandboxOptions; client?: Partial<YoutubeClientOptions> } = {},
) {
  const sandbox = await createYoutubeSandbox({ searchDailyLimit: 1_000, ...options.sandbox, behaviour: { ...QUICK, ...options.sandbox?.behaviour } })
  const events: CallEvent[] = []
  const client = createYoutubeClient({
    apiUrl: sandbox.url,
    apiKey: KEY,
    timeoutMs: 2_000,
    searchDailyLimit: 100,
    dailyQuota: 10_000,
    searchCost: 'bucket',
    quota: createMemoryQuotaCounter(),
    onCall: (event) => {
      events.push(event)
      seenUrls.push(event.url)
    },
    ...options.client,
  })
  t.teardown(async () => {
    await client.close()
    await sandbox.close()
  })
  const stats = async (terms: string, now = new Date(), region = 'US') => {
    const result = await client.videoStats(terms, region, now)
    if (result.status !== 'ok') seenReasons.push(result.reason)
    return result
  }
  return { sandbox, client, events, stats }
}

t.test('fixtures: search.list keeps only video results, once each, in order', async (t) => {
  const parsed = parseSearchList(fixture('search-mixed.json'))
  t.ok(parsed.ok)
  if (!parsed.ok) return
  t.same(
    parsed.value.map((v) => v.videoId),
    ['a1B2c3D4e5F', 'Q9w8E7r6T5y', 'LiVe0000001'],
    'channel and playlist results and the repeated video are left out',
  )
  t.equal(parsed.value[0]!.publishedAt, '2025-05-28T17:04:11Z')
})

t.test('fixtures: videos.list statistics are strings; absent counts are unknown, not zero', async (t) => {
  const parsed = parseVideoList(fixture('videos-statistics.json'))
  t.ok(parsed.ok)
  if (!parsed.ok) return
  t.same(parsed.value.get('Q9w8E7r6T5y'), { viewCount: 1_284_003, likeCount: undefined, commentCount: 912, publishedAt: '2025-01-14T08:22:45Z' })
  t.equal(parsed.value.get('LiVe0000001')!.viewCount, undefined, 'a live video without viewCount has unknown views')
  t.equal(parsed.value.get('a1B2c3D4e5F'), undefined, 'ids the API omitted are absent')
})

t.test('fixtures: stats match by id; missing ids count as videos with unknown views', async (t) => {
  const search = parseSearchList(fixture('search-mixed.json'))
  const videos = parseVideoList(fixture('videos-statistics.json'))
  if (!search.ok || !videos.ok) return t.fail('fixtures must parse')
  t.same(computeStats(search.value, videos.value, new Date('2025-06-10T00:00:00Z')), {
    videos: 3,
    totalViews: 1_284_003,
    medianViews: 1_284_003,
    topVideoViews: 1_284_003,
    // a1B2c3D4e5F (missing from videos.list, dated by its search snippet) and the live video
    videosLast30Days: 2,
    viewsLast30Days: 0,
  })
  t.same(computeStats([], new Map(), new Date()), {
    videos: 0,
    totalViews: 0,
    medianViews: null,
    topVideoViews: null,
    videosLast30Days: 0,
    viewsLast30Days: 0,
  })
  const even = computeStats(
    [{ videoId: 'a' }, { videoId: 'b' }, { videoId: 'c' }, { videoId: 'd' }],
    new Map([
      ['d', { viewCount: 10 }],
      ['a', { viewCount: 1 }],
      ['c', { viewCount: 4 }],
      ['b', { viewCount: 0 }],
    ]),
    new Date(),
  )
  t.equal(even.medianViews, 3, 'median of an even count: the mean of the middle two, rounded')
  t.equal(even.totalViews, 15, 'a real zero is counted as a known value')
})

t.test('fixtures: Google error payloads map to the right status', async (t) => {
  const cases: Array<[string, number, string, boolean]> = [
    ['error-quota.json', 403, 'quota_exhausted', true],
    ['error-rate-limit-403.json', 403, 'rate_limited', false],
    ['error-rate-limit-429.json', 429, 'rate_limited', false],
    ['error-key-invalid.json', 400, 'not_configured', false],
    ['error-key-invalid-legacy.json', 400, 'not_configured', false],
    ['error-access-not-configured.json', 403, 'not_configured', false],
    ['error-forbidden.json', 403, 'not_configured', false],
    ['error-backend.json', 503, 'unavailable', false],
    ['error-invalid-parameter.json', 400, 'unavailable', false],
  ]
  for (const [file, status, expected, quotaExceeded] of cases) {
    const failure = classifyFailure('search.list', status, fixture(file))
    t.equal(failure.status, expected, file)
    t.equal(failure.quotaExceeded, quotaExceeded, `${file}: spends the day only on quotaExceeded`)
    t.notMatch(failure.reason, /<a|href|API key not valid/, `${file}: the reason carries codes, not Google's message`)
  }
  t.match(classifyFailure('search.list', 400, fixture('error-key-invalid.json')).reason, /API_KEY_INVALID/, 'names the reason code')
  t.same(parseGoogleError(fixture('error-key-invalid.json'))?.reasons, ['badRequest', 'API_KEY_INVALID'])
  t.equal(classifyFailure('search.list', 429, fixture('error-rate-limit-429.json'), 7_000).retryAfterMs, 7_000)
  t.equal(rateLimitRetryDelay(403, fixture('error-rate-limit-403.json')), 0, '403 rateLimitExceeded is retried with backoff')
  t.equal(rateLimitRetryDelay(403, fixture('error-quota.json')), undefined, 'quotaExceeded never is')
  t.equal(classifyFailure('videos.list', 502, '<html><body>Bad Gateway</body></html>').status, 'unavailable')
  const truncated = parseSearchList('{"kind":"youtube#searchListResponse","items":[{"kind":"youtube#sea')
  t.equal(truncated.ok, false, 'truncated JSON is a failure, not an empty result')
})

t.test('videoStats equals what the sandbox holds, term by term, with one search and one videos call each', async (t) => {
  const { sandbox, stats, events } = await setup(t)
  const now = new Date()
  const terms = ['led strip lights', 'pet hair remover', 'magnetic phone holder', 'car vacuum', 'cable organizer', 'neck fan']
  for (const [i, term] of terms.entries()) {
    const result = await stats(term, now)
    t.same(result, { status: 'ok', data: sandbox.expected(term, 'US', now) }, term)
    t.equal(sandbox.calls.get('search.list'), i + 1, `${term}: one search`)
    t.equal(sandbox.calls.get('videos.list'), i + 1, `${term}: one videos call`)
  }
  const led = await stats('led strip lights', now)
  t.equal(led.status === 'ok' && led.data.videos, 50, 'a popular term is capped at the 50 results of one page')
  t.ok(events.every((e) => e.attempts === 1 && e.outcome === 200))
  const first = new URL(events[0]!.url)
  t.equal(first.pathname, '/youtube/v3/search')
  t.equal(first.searchParams.get('maxResults'), '50')
  t.equal(first.searchParams.get('type'), 'video')
  t.equal(first.searchParams.get('order'), 'relevance')
  t.equal(first.searchParams.get('publishedAfter'), new Date(now.getTime() - 180 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'))
  t.equal(new URL(events[1]!.url).searchParams.get('part'), 'statistics,snippet')
})

t.test('terms are normalized alike by both sides; another region is another answer', async (t) => {
  const { sandbox, stats } = await setup(t)
  const now = new Date()
  t.same(await stats('  LED   Strip Lights ', now), { status: 'ok', data: sandbox.expected('led strip lights', 'US', now) })
  const de = await stats('led strip lights', now, 'DE')
  t.same(de, { status: 'ok', data: sandbox.expected('led strip lights', 'DE', now) })
  t.notSame(de, { status: 'ok', data: sandbox.expected('led strip lights', 'US', now) })
})

t.test('videos.list order is shuffled and ids go missing: matching by id still gives the exact numbers', async (t) => {
  const { sandbox, stats } = await setup(t)
  const now = new Date()
  const after = new Date(now.getTime() - 180 * 86_400_000).toISOString()
  const search = (await (
    await fetch(`${sandbox.url}/search?part=snippet&type=video&q=ice+roller&regionCode=US&maxResults=50&publishedAfter=${after}&key=${KEY}`)
  ).json()) as { items: Array<{ id: { videoId: string } }> }
  const ids = search.items.map((i) => i.id.videoId)
  const videos = (await (await fetch(`${sandbox.url}/videos?part=statistics&id=${ids.join(',')}&key=${KEY}`)).json()) as {
    items: Array<{ id: string; statistics: Record<string, string> }>
  }
  const returned = videos.items.map((i) => i.id)
  t.ok(returned.length < ids.length, `videos.list omitted ${ids.length - returned.length} of ${ids.length} ids`)
  t.notSame(returned, ids.filter((id) => returned.includes(id)), 'and answered in another order')
  t.ok(
    videos.items.some((i) => i.statistics.likeCount === undefined),
    'some videos hide their like count',
  )
  t.ok(
    videos.items.every((i) => i.statistics.viewCount === undefined || typeof i.statistics.viewCount === 'string'),
    'counts are strings',
  )
  t.same(await stats('ice roller', now), { status: 'ok', data: sandbox.expected('ice roller', 'US', now) })
  const hidden = await stats('car vacuum', now)
  const expected = sandbox.expected('car vacuum', 'US', now)
  t.same(hidden, { status: 'ok', data: expected }, 'a video without viewCount is left out of the sums, not counted as 0')
})

t.test('zero results: ok with zeros and no videos.list call', async (t) => {
  const { sandbox, stats } = await setup(t)
  const result = await stats('galaxy projector')
  t.same(result, {
    status: 'ok',
    data: { videos: 0, totalViews: 0, medianViews: null, topVideoViews: null, videosLast30Days: 0, viewsLast30Days: 0 },
  })
  t.equal(sandbox.calls.get('search.list'), 1)
  t.equal(sandbox.calls.get('videos.list'), undefined)
})

t.test('bucket budget: with 2 searches a day the 3rd call answers quota_exhausted without HTTP', async (t) => {
  const { sandbox, client, stats } = await setup(t, { client: { searchDailyLimit: 2 } })
  const now = new Date()
  t.same(await client.quota(now), { searchesLeft: 2, unitsLeft: 10_000, resetsAt: nextPacificMidnight(now).toISOString() })
  t.equal((await stats('sunset lamp', now)).status, 'ok')
  t.equal((await stats('neck fan', now)).status, 'ok')
  const before = sandbox.totalCalls()
  const third = await stats('ice roller', now)
  t.equal(third.status, 'quota_exhausted')
  t.match(third, { reason: /2 searches/ })
  t.equal(sandbox.totalCalls(), before, 'no HTTP call')
  t.ok(third.status !== 'ok' && third.retryAfterMs! > 0 && third.retryAfterMs! <= nextPacificMidnight(now).getTime() - now.getTime())
  t.match(await client.quota(now), { searchesLeft: 0, unitsLeft: 10_000 - 3 })
  const tomorrow = new Date(nextPacificMidnight(now).getTime() + 3_600_000)
  t.equal((await stats('ice roller', tomorrow)).status, 'ok', 'the next Pacific day has a fresh budget')
})

t.test('bucket budget: concurrent calls never spend more than the limit', async (t) => {
  const { sandbox, stats } = await setup(t, { client: { searchDailyLimit: 3 } })
  const now = new Date()
  const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((x) => stats(`gadget ${x}`, now)))
  t.equal(results.filter((r) => r.status === 'ok').length, 3)
  t.equal(results.filter((r) => r.status === 'quota_exhausted').length, 2)
  t.equal(sandbox.calls.get('search.list'), 3)
})

t.test('units budget: search costs 100 units, so 250 units fit two lookups and not a third', async (t) => {
  const { sandbox, client, stats } = await setup(t, { client: { searchCost: 'units', dailyQuota: 250 } })
  const now = new Date()
  t.match(await client.quota(now), { searchesLeft: 2, unitsLeft: 250 })
  t.equal((await stats('sunset lamp', now)).status, 'ok')
  t.equal((await stats('neck fan', now)).status, 'ok')
  t.equal(sandbox.calls.get('search.list'), 2)
  t.equal(sandbox.calls.get('videos.list'), 2)
  const third = await stats('ice roller', now)
  t.equal(third.status, 'quota_exhausted')
  t.match(third, { reason: /250 units/ })
  t.equal(sandbox.totalCalls(), 4, 'the third search was never sent')
  t.match(await client.quota(now), { searchesLeft: 0, unitsLeft: 250 - 202 })
})

t.test("the sandbox's own quotaExceeded: quota_exhausted, not retried, and no calls until the next Pacific midnight", async (t) => {
  const { sandbox, client, stats } = await setup(t, { sandbox: { searchDailyLimit: 1 } })
  const now = new Date()
  t.equal((await stats('sunset lamp', now)).status, 'ok')
  const refused = await stats('neck fan', now)
  t.equal(refused.status, 'quota_exhausted')
  t.match(refused, { reason: /quotaExceeded/ })
  t.equal(sandbox.calls.get('search.list'), 2, 'the 403 was not retried')
  t.same(await client.quota(now), { searchesLeft: 0, unitsLeft: 0, resetsAt: nextPacificMidnight(now).toISOString() })
  const later = new Date(now.getTime() + 60_000)
  t.equal((await stats('ice roller', later)).status, 'quota_exhausted')
  t.equal(sandbox.totalCalls(), 3, 'the rest of the day costs no calls')
  sandbox.resetQuota()
  const tomorrow = new Date(nextPacificMidnight(now).getTime() + 60_000)
  t.equal((await stats('ice roller', tomorrow)).status, 'ok', 'after midnight Pacific the client tries again')
  t.equal(sandbox.calls.get('search.list'), 3)
})

t.test('the sandbox answers quotaExceeded in exactly Google’s shape', async (t) => {
  const { sandbox } = await setup(t, { sandbox: { searchDailyLimit: 0 } })
  const res = await fetch(`${sandbox.url}/search?part=snippet&q=x&key=${KEY}`)
  t.equal(res.status, 403)
  t.same(await res.json(), JSON.parse(fixture('error-quota.json')))
})

t.test('rateLimitExceeded is told apart from quotaExceeded: retryable, and the day is not spent', async (t) => {
  const { sandbox, client, stats } = await setup(t, {
    sandbox: { behaviour: { faultRate: 1, fault: 'rate_limit', retryAfterSeconds: 5 } },
    client: { timeoutMs: 1_000 },
  })
  const now = new Date()
  const result = await stats('sunset lamp', now)
  t.same(result, { status: 'rate_limited', reason: result.status !== 'ok' ? result.reason : '', retryAfterMs: 5_000 })
  t.match(result, { reason: /rateLimitExceeded/ })
  t.equal(sandbox.calls.get('search.list'), 1, 'a Retry-After beyond the deadline is not waited for')
  t.match(await client.quota(now), { searchesLeft: 99 }, 'only the one search is counted')
  sandbox.setBehaviour({ faultRate: 0 })
  t.equal((await stats('sunset lamp', now)).status, 'ok', 'the next call goes out')
})

t.test('a short rate limit is retried by the HTTP layer and every attempt is counted', async (t) => {
  const { sandbox, client, stats } = await setup(t, { sandbox: { behaviour: { faultRate: 1, fault: 'rate_limit', retryAfterSeconds: 0 } } })
  const now = new Date()
  t.equal((await stats('sunset lamp', now)).status, 'rate_limited')
  t.equal(sandbox.calls.get('search.list'), 3, 'first try and two retries')
  t.match(await client.quota(now), { searchesLeft: 97 }, 'Google bills each attempt')
})

t.test('each fault mode gives the right status within the deadline', async (t) => {
  // Retried modes get room for their backoff; the hanging one shows the deadline holds.
  const cases: Array<[Behaviour['fault'], string, number, number]> = [
    ['error', 'unavailable', 3, 2_000],
    ['http500', 'unavailable', 3, 2_000],
    ['http503', 'unavailable', 3, 2_000],
    ['html', 'unavailable', 1, 400],
    ['truncated', 'unavailable', 1, 400],
    ['quota', 'quota_exhausted', 1, 400],
    ['timeout', 'unavailable', 1, 400],
  ]
  for (const [fault, status, calls, timeoutMs] of cases) {
    const { sandbox, stats } = await setup(t, { sandbox: { behaviour: { faultRate: 1, fault } }, client: { timeoutMs } })
    const started = performance.now()
    const result = await stats('sunset lamp')
    const elapsed = performance.now() - started
    t.equal(result.status, status, fault)
    t.ok(elapsed < timeoutMs + 300, `${fault}: answered in ${Math.round(elapsed)} ms`)
    if (fault === 'timeout') t.ok(elapsed >= timeoutMs - 20, 'the hanging call was waited for up to the deadline')
    t.equal(sandbox.calls.get('search.list'), calls, `${fault}: ${calls} call(s)`)
    t.equal(sandbox.calls.get('videos.list'), undefined, `${fault}: no videos.list after a failed search`)
    if (fault === 'timeout') t.match(result, { reason: /UPSTREAM_TIMEOUT/ })
  }
})

t.test('videos.list failing after a good search gives its failure, and says so', async (t) => {
  const { sandbox, client, stats } = await setup(t)
  const now = new Date()
  sandbox.setOperationFault('videos.list', 'error')
  const unavailable = await stats('sunset lamp', now)
  t.equal(unavailable.status, 'unavailable')
  t.match(unavailable, { reason: /videos\.list failed/ })
  t.equal(sandbox.calls.get('videos.list'), 3, 'the 503 was retried')
  sandbox.setOperationFault('videos.list', 'html')
  t.match(await stats('sunset lamp', now), { status: 'unavailable', reason: /videos\.list failed.*HTML/ })
  sandbox.setOperationFault('videos.list', 'quota')
  t.match(await stats('sunset lamp', now), { status: 'quota_exhausted', reason: /videos\.list failed/ })
  t.match(await client.quota(now), { searchesLeft: 0, unitsLeft: 0 })
})

t.test('credentials: no key means no call; a wrong key is not_configured and never echoed', async (t) => {
  const missing = await setup(t, { client: { apiKey: undefined } })
  t.same(await missing.stats('sunset lamp'), { status: 'not_configured', reason: 'youtube: no API key configured' })
  t.equal(missing.sandbox.totalCalls(), 0)

  const wrongKey = 'AIzaWrongKeyForTheSandbox1234567890abc'
  const wrong = await setup(t, { client: { apiKey: wrongKey } })
  const result = await wrong.stats('sunset lamp')
  t.equal(result.status, 'not_configured')
  t.match(result, { reason: /keyInvalid/ })
  t.notMatch(JSON.stringify(result), wrongKey)
  t.ok(wrong.events.every((e) => !e.url.includes(wrongKey)), 'onCall URLs are redacted')
  t.equal(wrong.sandbox.calls.get('search.list'), 1, 'a refused key is not retried')
})

t.test('the sandbox checks parameters like the real API', async (t) => {
  const { sandbox } = await setup(t)
  const noPart = await fetch(`${sandbox.url}/videos?id=abc&key=${KEY}`)
  t.equal(noPart.status, 400)
  t.match(await noPart.json(), { error: { code: 400, errors: [{ reason: 'missingRequiredParameter', location: 'part' }] } })
  const noKey = await fetch(`${sandbox.url}/search?part=snippet&q=x`)
  t.equal(noKey.status, 400)
  t.match(await noKey.json(), { error: { errors: [{ reason: 'keyInvalid' }] } })
  const tooMany = await fetch(`${sandbox.url}/search?part=snippet&q=x&maxResults=51&key=${KEY}`)
  t.match(await tooMany.json(), { error: { errors: [{ reason: 'invalidParameter', location: 'maxResults' }] } })

  const after = new Date(Date.now() - 20 * 86_400_000)
  const page = (await (await fetch(`${sandbox.url}/search?part=snippet&q=sunset+lamp&regionCode=US&publishedAfter=${after.toISOString()}&key=${KEY}`)).json()) as {
    pageInfo: { resultsPerPage: number }
    nextPageToken?: string
    items: Array<{ snippet: { publishedAt: string } }>
  }
  t.equal(page.items.length, 5, 'maxResults defaults to 5')
  t.equal(page.pageInfo.resultsPerPage, 5)
  t.type(page.nextPageToken, 'string')
  t.ok(
    page.items.every((i) => Date.parse(i.snippet.publishedAt) >= after.getTime()),
    'publishedAfter is respected',
  )
  const mixed = (await (await fetch(`${sandbox.url}/search?part=snippet&q=sunset+lamp&regionCode=US&maxResults=50&key=${KEY}`)).json()) as {
    items: Array<{ id: { kind: string } }>
  }
  t.ok(
    mixed.items.some((i) => i.id.kind === 'youtube#channel'),
    'without type=video channels are mixed in',
  )
})

t.test('no API key in any reason or logged URL of this file', async (t) => {
  t.ok(seenReasons.length > 10 && seenUrls.length > 10, 'there was something to check')
  for (const text of [...seenReasons, ...seenUrls]) t.notOk(text.includes(KEY), text)
  t.ok(
    seenUrls.some((u) => u.includes('key=[REDACTED]')),
    'the key parameter is redacted, not dropped',
  )
})
