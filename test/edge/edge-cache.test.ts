import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { Agent, request } from 'undici'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import type { SandboxOptions } from '../../src/sandbox/index.ts'
import { buildTestApp, startTestSandbox } from '../helper.ts'
import { findLibfaketime, findNginx, startNginx } from './nginx.ts'

// The API behind a real shared cache: nginx from Debian running deploy/nginx/dropforge-cache.conf.template,
// with every request that reaches the origin counted (docs/caching.md, "Proven at a real edge").

const nginx = findNginx()
const libfaketime = findLibfaketime()
// .ci/run installs both: under CI a missing one fails this file instead of only skipping tests.
const skip = nginx ? false : 'nginx not installed (apt-get install nginx)'
const skipClock = skip || (libfaketime ? false : 'libfaketime not installed (apt-get install libfaketime)')
if (skipClock && process.env.CI) t.fail(`CI is set and ${skipClock}: .ci/run installs it`)

const ALLOWED = ['http://localhost:5173', 'https://app.example.com']

interface OriginRequest {
  url: string
  conditional: boolean
  status?: number
}

interface Teardown {
  teardown(fn: () => unknown): void
}

async function startStack(t: Teardown, env: Record<string, string> = {}, sandboxOptions: SandboxOptions = {}, clock = false) {
  const sandbox = await startTestSandbox(t, sandboxOptions)
  const { app } = await buildTestApp(t, { sandbox, env: { CORS_ORIGINS: ALLOWED.join(','), ...env } })
  // What the origin sees: every request nginx sends it, and what it answered.
  const seen: OriginRequest[] = []
  const records = new WeakMap<object, OriginRequest>()
  app.addHook('onRequest', (req, _reply, done) => {
    const record = { url: req.url, conditional: req.headers['if-none-match'] !== undefined }
    seen.push(record)
    records.set(req, record)
    done()
  })
  app.addHook('onResponse', (req, reply, done) => {
    const record = records.get(req)
    if (record) record.status = reply.statusCode
    done()
  })
  const origin = await app.listen({ port: 0, host: '127.0.0.1' })
  const edge = await startNginx(nginx!, new URL(origin).host, { libfaketime: clock ? libfaketime : undefined })
  t.teardown(() => edge.close())
  const agent = new Agent()
  t.teardown(() => agent.close())
  const fetchFrom = async (base: string, path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${base}${path}`, { headers, dispatcher: agent })
    const body = await res.body.text()
    const header = (name: string) => (res.headers[name] === undefined ? undefined : String(res.headers[name]))
    return { status: res.statusCode, body, header, edge: header('x-edge-cache') }
  }
  const get = (path: string, headers?: Record<string, string>) => fetchFrom(edge.url, path, headers)
  const direct = (path: string) => fetchFrom(origin, path)
  const originSaw = (path: string) => seen.filter((r) => r.url === path)
  // onResponse runs when the origin has written its answer, which nginx may have passed on already.
  const answered = async (path: string, count: number) => {
    for (let i = 0; i < 200 && originSaw(path)[count - 1]?.status === undefined; i++) await sleep(10)
    return originSaw(path)[count - 1]
  }
  // nginx finishes writing what the origin answered a moment after the origin is done: until then
  // the entry reads as UPDATING (and nginx serves the old copy).
  const settled = async (path: string) => {
    let r = await get(path)
    for (let i = 0; i < 50 && r.edge === 'UPDATING'; i++) {
      await sleep(10)
      r = await get(path)
    }
    return r
  }
  return { app, edge, get, direct, originSaw, answered, settled }
}

const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()))

t.test('kept for s-maxage, revalidated with a 304, then served stale within stale-if-error while the origin is down', { skip: skipClock }, async (t) => {
  const { app, edge, get, originSaw, answered, settled } = await startStack(t, { CACHE_TTL_VALIDATION: '3s', CACHE_STALE_GRACE: '1h' }, {}, true)
  const path = `/api/v1/products/${sandboxIdOfKind('strong', 1200)}/validation`

  const first = await get(path)
  const t0 = Date.now()
  t.equal(first.status, 200, 'the first GET')
  t.equal(first.edge, 'MISS')
  const sMaxAge = Number(/s-maxage=(\d+)/.exec(first.header('cache-control') ?? '')?.[1])
  t.ok(sMaxAge >= 1 && sMaxAge <= 3, `s-maxage=${sMaxAge} from CACHE_TTL_VALIDATION=3s`)

  // nginx counts lifetimes in whole seconds from the second it stored the answer: it is fresh for at
  // least s-maxage seconds, and expired after s-maxage + 1.
  const hits: string[] = []
  while (Date.now() < t0 + sMaxAge * 1000 - 300) {
    const r = await get(path)
    hits.push(`${r.edge}${r.body === first.body ? '' : ' (other body)'}`)
    await sleep(100)
  }
  t.ok(hits.length >= 3 && hits.every((h) => h === 'HIT'), `fresh at the edge: ${hits.join(', ')}`)
  t.equal(originSaw(path).length, 1, 'the origin saw no request while s-maxage lasted')

  // Expired at the edge, and (3 s after it was made) stale at the origin too.
  await sleepUntil(t0 + Math.max(sMaxAge + 1, 3) * 1000 + 100)
  const expired = await get(path)
  t.equal(expired.status, 200)
  t.equal(expired.body, first.body, 'the client gets the full body')
  t.match(expired.edge, /^(STALE|REVALIDATED)$/, `stale-while-revalidate, or a revalidation in line (${expired.edge})`)
  const revalidation = await answered(path, 2)
  t.ok(revalidation?.conditional, 'the edge asked with If-None-Match')
  t.equal(revalidation?.status, 304, 'the origin answered 304 Not Modified')
  const t304 = Date.now()
  const renewed = await settled(path)
  t.equal(renewed.edge, 'HIT')
  t.equal(renewed.body, first.body, 'the edge serves its stored body after the 304')
  t.equal(originSaw(path).length, 2)

  // That 304 said the answer is stale at the origin (which is refreshing it): s-maxage=1. The edge
  // must not keep it for the s-maxage it stored with it, or it serves the old validation long after
  // the origin has a new one.
  await app.cache.idle()
  await sleepUntil(t304 + 2_050)
  const after = await get(path)
  t.match(after.edge, /^(STALE|REVALIDATED|EXPIRED)$/, `2 s after the 304 the edge has to ask the origin again (${after.edge})`)
  const third = await answered(path, 3)
  t.equal(third?.status, 200, 'and gets the refreshed validation')
  const refreshed = await settled(path)
  t.equal(refreshed.edge, 'HIT')
  t.not(JSON.parse(refreshed.body).validatedAt, JSON.parse(first.body).validatedAt, 'the edge now serves the refreshed validation')
  const stored = JSON.parse(refreshed.body)

  // The origin goes away. nginx's clock moves on instead of the test waiting.
  await app.close()
  await edge.advanceClock(30)
  const withinSwr = await get(path)
  t.equal(withinSwr.status, 200, 'within stale-while-revalidate (60 s): the stored answer')
  t.same(JSON.parse(withinSwr.body), stored)
  t.equal(withinSwr.edge, 'STALE')
  await edge.advanceClock(120)
  const withinGrace = await get(path)
  t.equal(withinGrace.status, 200, '2 min later, past stale-while-revalidate, within stale-if-error (CACHE_STALE_GRACE, 1 h)')
  t.same(JSON.parse(withinGrace.body), stored)
  t.equal(withinGrace.edge, 'STALE')
  await edge.advanceClock(3_700)
  const pastGrace = await get(path)
  t.equal(pastGrace.status, 502, `past stale-if-error the edge has nothing to serve (${pastGrace.edge})`)
})

t.test("a cross-origin or credentialed answer never leaves the edge's cache for anyone else", { skip }, async (t) => {
  const { get, originSaw } = await startStack(t)
  const [a, b] = ALLOWED as [string, string]

  const path = `/api/v1/products/${sandboxIdOfKind('strong', 1201)}/validation`
  const fromA = await get(path, { origin: a })
  t.equal(fromA.status, 200, 'a GET from an allowed origin')
  t.equal(fromA.header('access-control-allow-origin'), a)
  t.match(fromA.header('cache-control'), /^private/)
  const againA = await get(path, { origin: a })
  t.equal(againA.edge, 'MISS', 'a private answer is not stored, not even for the same origin')
  const fromB = await get(path, { origin: b })
  t.equal(fromB.header('access-control-allow-origin'), b, "origin B gets its own grant, never A's")
  const plain = await get(path)
  t.equal(plain.edge, 'MISS', "A's answer was not kept for a client without Origin")
  t.equal(plain.header('access-control-allow-origin'), undefined)
  t.equal(originSaw(path).length, 4, 'the origin answered every one of them')
  const plainAgain = await get(path)
  t.equal(plainAgain.edge, 'HIT', 'the public answer is shared')
  t.equal(plainAgain.header('access-control-allow-origin'), undefined)
  const aAfter = await get(path, { origin: a })
  t.equal(aAfter.header('access-control-allow-origin'), a, 'Vary: Origin keeps the public answer from a cross-origin request')
  t.equal(aAfter.edge, 'MISS')
  t.equal(originSaw(path).length, 5)
  // nginx does not look at a request's credentials: the stored public answer (the same bytes the
  // API would send) is what a credentialed client without Origin gets (docs/caching.md).
  const bearer = await get(path, { authorization: 'Bearer someone' })
  t.equal(bearer.edge, 'HIT')
  t.equal(bearer.body, plainAgain.body)

  const credentialed = `/api/v1/products/${sandboxIdOfKind('average', 1202)}/validation`
  for (const headers of [{ authorization: 'Bearer someone' }, { 'x-api-key': 'some-key' }, { 'x-admin-key': 'not-the-key' }] as Record<string, string>[]) {
    const r = await get(credentialed, headers)
    t.equal(r.status, 200, `with ${Object.keys(headers)[0]}`)
    t.match(r.header('cache-control'), /^private/, `${Object.keys(headers)[0]}: private`)
  }
  const anonymous = await get(credentialed)
  t.equal(anonymous.edge, 'MISS', 'neither credentialed answer was stored')
  t.equal(originSaw(credentialed).length, 4)
})

t.test('parallel misses for one product reach the origin once (proxy_cache_lock)', { skip }, async (t) => {
  // A slow AliExpress, so that the ten requests are all waiting while the first one is answered.
  const { get, originSaw } = await startStack(t, {}, { aliexpress: { latencyMs: 300, jitterMs: 0 } })
  const path = `/api/v1/products/${sandboxIdOfKind('strong', 1203)}/validation`
  const answers = await Promise.all(Array.from({ length: 10 }, () => get(path)))
  t.ok(
    answers.every((r) => r.status === 200 && r.body === answers[0]!.body),
    'every client got the same answer',
  )
  t.equal(originSaw(path).length, 1, 'the origin saw one request')
  t.same(answers.map((r) => r.edge).sort(), ['HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'HIT', 'MISS'])
})

t.test('figures: origin requests and latency at the edge (PERFORMANCE.md, "Edge cache")', { skip }, async (t) => {
  const { get, direct, originSaw } = await startStack(t)
  const paths = Array.from({ length: 10 }, (_, i) => `/api/v1/products/${sandboxIdOfKind('strong', 1210 + i)}/validation`)
  const timed = async (fn: () => Promise<{ status: number; edge?: string }>) => {
    const start = performance.now()
    const r = await fn()
    return { ...r, ms: performance.now() - start }
  }
  const misses: number[] = []
  const hits: number[] = []
  const requests = 500
  let failed = 0
  for (let i = 0; i < requests; i++) {
    const r = await timed(() => get(paths[i % paths.length]!))
    if (r.status !== 200) failed++
    ;(r.edge === 'MISS' ? misses : hits).push(r.ms)
  }
  t.equal(failed, 0, 'every answer a 200')
  const originRequests = paths.reduce((sum, p) => sum + originSaw(p).length, 0)
  t.equal(originRequests, paths.length, 'one origin request per product')
  t.equal(misses.length, paths.length)
  const originHits: number[] = []
  for (let i = 0; i < requests; i++) originHits.push((await timed(() => direct(paths[i % paths.length]!))).ms)
  t.comment(`${requests} client requests over ${paths.length} products through the edge: ${originRequests} reached the origin`)
  t.comment(`edge MISS (origin validates against the sandbox): median ${median(misses).toFixed(2)} ms over ${misses.length}`)
  t.comment(`edge HIT: median ${median(hits).toFixed(3)} ms, p99 ${quantile(hits, 0.99).toFixed(3)} ms over ${hits.length}`)
  t.comment(`origin direct, its in-process HIT: median ${median(originHits).toFixed(3)} ms, p99 ${quantile(originHits, 0.99).toFixed(3)} ms over ${originHits.length}`)
})

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

function median(values: number[]): number {
  return quantile(values, 0.5)
}
