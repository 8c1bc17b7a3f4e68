import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import t from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'

// A real browser (Debian's Chromium, headless) on a page of an allowed origin calls the API on another
// origin: a validation, whose X-Cache and Server-Timing the page can read (Access-Control-Expose-Headers),
// and a batch streamed as NDJSON (a preflighted POST). A page of another origin is refused by the
// browser's own CORS check. Under CI a missing Chromium fails the test; elsewhere it is skipped.

const CHROMIUM = '/usr/bin/chromium'
// Without the background-networking flags Chromium reaches for Google's services at start, and on a
// machine without a network those connections are refused.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const missing = !existsSync(CHROMIUM)
if (missing && process.env.CI === 'true') t.fail(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`)

// The page's own code: what a frontend does with the API.
const PAGE_SCRIPT = `
window.validate = async (api, id, init) => {
  const res = await fetch(api + '/api/v1/products/' + id + '/validation', init)
  const body = await res.json()
  return { status: res.status, xCache: res.headers.get('x-cache'), serverTiming: res.headers.get('server-timing'), verdict: body.verdict }
}
window.streamBatch = async (api, products) => {
  const res = await fetch(api + '/api/v1/validations/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    body: JSON.stringify({ products }),
  })
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  let chunks = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks++
    text += value
  }
  return { status: res.status, type: res.headers.get('content-type'), chunks, lines: text.trim().split('\\n').map((l) => JSON.parse(l)) }
}
window.tryFetch = async (url) => {
  try {
    const res = await fetch(url)
    return 'answered ' + res.status
  } catch (error) {
    return 'rejected ' + error.name
  }
}`

async function pageServer(t: { teardown(fn: () => unknown): void }, host: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>frontend</title><script>${PAGE_SCRIPT}</script>`)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://${host}:${(server.address() as AddressInfo).port}`
}

t.test('a page of an allowed origin reads validations and a streamed batch; another origin is refused', { skip: missing && `${CHROMIUM} not installed (apt-get install chromium)` }, async (t) => {
  const allowed = await pageServer(t, 'localhost')
  const foreign = await pageServer(t, '127.0.0.1')
  const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: `https://www.dropstackerpro.com,${allowed}` } })
  const api = await app.listen({ port: 0, host: '127.0.0.1' })

  const profile = await mkdtemp(join(tmpdir(), 'dropforge-chromium-'))
  t.teardown(() => rm(profile, { recursive: true, force: true }))
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 15_000 })
  t.teardown(() => browser.close())
  const page = browser.pages()[0] ?? (await browser.newPage())

  await page.goto(`${allowed}/`)
  const id = sandboxIdOfKind('strong', 4242)
  // 'no-cache' revalidates with the server every time, and sends no `Cache-Control: no-cache` (which
  // 'no-store' and 'reload' do: that asks the API for an answer fetched anew, X-Cache: BYPASS).
  const first = await page.evaluate(([a, i]) => (globalThis as unknown as Page).validate(a, i, { cache: 'no-cache' }), [api, id] as const)
  t.equal(first.status, 200)
  t.equal(first.xCache, 'MISS', 'X-Cache is readable cross-origin')
  t.match(first.serverTiming, /aliexpress/, 'and so is Server-Timing')
  t.equal(first.verdict, 'strong')
  const second = await page.evaluate(([a, i]) => (globalThis as unknown as Page).validate(a, i, { cache: 'no-cache' }), [api, id] as const)
  t.equal(second.xCache, 'HIT')
  t.equal(second.serverTiming, 'cache;desc=hit')
  const reload = await page.evaluate(([a, i]) => (globalThis as unknown as Page).validate(a, i, { cache: 'reload' }), [api, id] as const)
  t.equal(reload.xCache, 'BYPASS', "a reload asks for an answer fetched anew (the browser sends Cache-Control: no-cache)")
  const withToken = await page.evaluate(
    ([a, i]) => (globalThis as unknown as Page).validate(a, i, { cache: 'no-store', headers: { authorization: 'Bearer a-user-token', 'x-api-key': 'a-key' } }),
    [api, id] as const,
  )
  t.equal(withToken.status, 200, 'a preflight for Authorization and x-api-key is granted')

  const products = [sandboxIdOfKind('strong', 4243), sandboxIdOfKind('average', 4244), sandboxIdOfKind('weak', 4245), 'not a product']
  const batch = await page.evaluate(([a, p]) => (globalThis as unknown as Page).streamBatch(a, p), [api, products] as const)
  t.equal(batch.status, 200)
  t.match(batch.type, /^application\/x-ndjson/)
  t.equal(batch.lines.length, products.length + 1, 'one line per product, then the summary')
  t.same(batch.lines.slice(0, -1).map((l) => l.index).sort(), [0, 1, 2, 3])
  t.equal(batch.lines.at(-1)?.summary?.requested, products.length)
  t.comment(`batch read in ${batch.chunks} chunk(s)`)

  await page.goto(`${foreign}/`)
  const refused = await page.evaluate((url) => (globalThis as unknown as Page).tryFetch(url), `${api}/api/v1/products/${id}/validation`)
  t.equal(refused, 'rejected TypeError', 'the browser refuses the answer to an origin without a grant')
  const stillAllowed = await page.evaluate((url) => (globalThis as unknown as Page).tryFetch(url), `${api}/health/live`)
  t.equal(stillAllowed, 'rejected TypeError', 'on every route')
})

interface Page {
  validate(api: string, id: string, init: RequestInit): Promise<{ status: number; xCache: string | null; serverTiming: string | null; verdict: string }>
  streamBatch(api: string, products: readonly string[]): Promise<{ status: number; type: string; chunks: number; lines: { index?: number; summary?: { requested: number } }[] }>
  tryFetch(url: string): Promise<string>
}
