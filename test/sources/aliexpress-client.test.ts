import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { createAliexpressSandbox } from '../../src/sandbox/aliexpress.ts'
import type { Behaviour } from '../../src/sandbox/behaviour.ts'
import { defaultBehaviour, startSandboxServer } from '../../src/sandbox/behaviour.ts'
import { type CatalogueProduct, catalogueProduct, kindOf, priceIn, sandboxIdOfKind, searchCatalogue } from '../../src/sandbox/catalogue.ts'
import { shipToDaysText } from '../../src/sandbox/catalogue-freight.ts'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import type { CallEvent } from '../../src/sources/http.ts'
import { createAliexpressClient, type AliexpressClientOptions } from '../../src/sources/aliexpress/client.ts'
import {
  parseDays,
  parseJsonKeepingIds,
  parseProductDetailBody,
  parseProductQueryBody,
  throttleRetryDelay,
} from '../../src/sources/aliexpress/parse.ts'
import { buildSignedParams } from '../../src/sources/aliexpress/sign.ts'
import type { AliexpressProduct, Market, SourceResult } from '../../src/validation/sources.ts'

const CREDS = SANDBOX_CREDENTIALS.aliexpress
const US: Market = { country: 'US', currency: 'USD' }
const DE: Market = { country: 'DE', currency: 'EUR' }
const FAST: Partial<Behaviour> = { latencyMs: 2, jitterMs: 0 }

function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/aliexpress/${name}`, import.meta.url), 'utf8')
}

async function setup(t: Test, client: Partial<AliexpressClientOptions> = {}, behaviour: Partial<Behaviour> = FAST) {
  const sandbox = await createAliexpressSandbox({ behaviour })
  const events: CallEvent[] = []
  const aliexpress = createAliexpressClient({
    apiUrl: sandbox.url,
    appKey: CREDS.appKey,
    appSecret: CREDS.appSecret,
    trackingId: CREDS.trackingId,
    timeoutMs: 2_000,
    onCall: (event) => events.push(event),
    ...client,
  })
  t.teardown(async () => {
    await aliexpress.close()
    await sandbox.close()
  })
  return { sandbox, aliexpress, events }
}


/** What the client must make of a catalogue product: the catalogue's own numbers, in our shape. */
function expectedProduct(p: CatalogueProduct, market: Market): Omit<AliexpressProduct, 'promotionUrl'> {
  const currency = market.currency
  const sale = priceIn(p.salePriceUsd, currency)
  const price: AliexpressProduct['price'] = { sale: sale.amount, currency: sale.currency }
  if (p.originalPriceUsd !== undefined) price.original = priceIn(p.originalPriceUsd, currency).amount
  return {
    productId: p.productId,
    title: p.title,
    url: `https://www.aliexpress.com/item/${p.productId}.html`,
    imageUrl: p.imageUrl,
    category: p.category.secondName,
    categoryId: String(p.category.secondId),
    firstLevelCategoryId: String(p.category.firstId),
    price,
    ordersLast30Days: p.ordersLast30Days,
    positiveFeedbackRate: p.positiveFeedbackRate,
    commissionRate: p.commissionRate,
    shop: { id: p.shop.id, url: `https://www.aliexpress.com/store/${p.shop.id}`, name: p.shop.name },
    shipToDays: Number(shipToDaysText(p, market.country)),
  }
}

function ok<T>(t: Test, result: SourceResult<T>): T {
  if (result.status !== 'ok') {
    t.fail(`expected ok, got ${result.status}: ${result.reason}`)
    throw new Error(result.reason)
  }
  return result.data
}

t.test('catalogue ids: the last digit picks the kind, ids are 16-digit 1005… and distinct', async (t) => {
  const seen = new Set<string>()
  for (const kind of ['strong', 'average', 'weak', 'unknown'] as const) {
    for (let n = 0; n < 200; n++) {
      const id = sandboxIdOfKind(kind, n)
      t.match(id, /^1005\d{12}$/)
      if (kindOf(id) !== kind) t.fail(`${id} is not ${kind}`)
      seen.add(id)
    }
  }
  t.equal(seen.size, 800)
  t.equal(catalogueProduct(sandboxIdOfKind('unknown', 1)), undefined)
  const strong = catalogueProduct(sandboxIdOfKind('strong', 1))!
  const weak = catalogueProduct(sandboxIdOfKind('weak', 1))!
  t.ok(strong.ordersLast30Days >= 1000 && strong.positiveFeedbackRate >= 95)
  t.ok(weak.ordersLast30Days <= 60 && weak.positiveFeedbackRate <= 93)
})

t.test('getProducts returns exactly the catalogue values, in the requested currency', async (t) => {
  const { aliexpress } = await setup(t)
  const ids = ['strong', 'average', 'weak'].flatMap((kind) => [0, 1, 2].map((n) => sandboxIdOfKind(kind as 'strong', n)))
  for (const market of [US, DE]) {
    const products = ok(t, await aliexpress.getProducts(ids, market))
    t.equal(products.size, ids.length)
    for (const id of ids) {
      const got = products.get(id)!
      const { promotionUrl, ...rest } = got
      t.same(rest, expectedProduct(catalogueProduct(id)!, market), `${id} in ${market.currency}`)
      t.match(promotionUrl, /^https:\/\/s\.click\.aliexpress\.com\/e\//, 'tracking id sent, so a promotion link')
      t.equal(typeof got.productId, 'string')
    }
  }
})

t.test('50 ids go out in 3 parallel calls of at most 20; unknown ids are absent', async (t) => {
  const { sandbox, aliexpress } = await setup(t, { trackingId: undefined })
  const known = [...Array(36).keys()].map((n) => sandboxIdOfKind((['strong', 'average', 'weak'] as const)[n % 3], n))
  const unknown = [...Array(14).keys()].map((n) => sandboxIdOfKind('unknown', n))
  const products = ok(t, await aliexpress.getProducts([...known, ...unknown], US))
  t.equal(sandbox.calls.get('productdetail.get'), 3)
  t.equal(products.size, 36)
  for (const id of unknown) t.notOk(products.has(id), `${id} vanished`)
  for (const product of products.values()) t.notOk('promotionUrl' in product, 'no tracking id, no promotion link')
  t.same([...products.keys()].sort(), known.sort())
})

t.test('only unknown ids: an ok, empty map; no ids: no call at all', async (t) => {
  const { sandbox, aliexpress } = await setup(t)
  const none = ok(t, await aliexpress.getProducts([sandboxIdOfKind('unknown', 3)], US))
  t.equal(none.size, 0)
  const empty = ok(t, await aliexpress.getProducts([], US))
  t.equal(empty.size, 0)
  t.equal(sandbox.totalCalls(), 1)
})

t.test('search: pages, totals, sort and titles follow the catalogue; listed ids resolve to the same product', async (t) => {
  const { sandbox, aliexpress } = await setup(t)
  const keywords = 'led strip lights bluetooth'
  const all = searchCatalogue(keywords)
  t.ok(all.length > 20, 'enough results to page through')
  const collected: AliexpressProduct[] = []
  for (let page = 1; page <= Math.ceil(all.length / 20); page++) {
    const data = ok(t, await aliexpress.searchProducts({ keywords, page, pageSize: 20 }, US))
    t.equal(data.page, page)
    t.equal(data.pageSize, 20)
    t.equal(data.totalResults, all.length)
    collected.push(...data.products)
  }
  t.same(
    collected.map((p) => p.productId),
    all.map((p) => p.productId),
    'every listing once, in relevance order',
  )
  for (const product of collected) {
    for (const word of ['led', 'strip', 'lights', 'bluetooth']) t.match(product.title.toLowerCase(), word)
  }
  t.same(collected[0], { ...expectedProduct(all[0]!, US), promotionUrl: collected[0]!.promotionUrl })
  t.ok(new Set(collected.map((p) => p.shop.id)).size > 1, 'different shops')

  const beyond = ok(t, await aliexpress.searchProducts({ keywords, page: 99, pageSize: 20 }, US))
  t.same(beyond.products, [])

  const byVolume = ok(t, await aliexpress.searchProducts({ keywords, page: 1, pageSize: 50, sort: 'LAST_VOLUME_DESC' }, US))
  const volumes = byVolume.products.map((p) => p.ordersLast30Days!)
  t.same(volumes, [...volumes].sort((a, b) => b - a))
  const byPrice = ok(t, await aliexpress.searchProducts({ keywords, page: 1, pageSize: 50, sort: 'SALE_PRICE_ASC' }, US))
  const prices = byPrice.products.map((p) => p.price.sale!)
  t.same(prices, [...prices].sort((a, b) => a - b))

  const listed = collected.slice(0, 5)
  const details = ok(t, await aliexpress.getProducts(listed.map((p) => p.productId), US))
  for (const product of listed) t.same(details.get(product.productId), product, 'productdetail agrees with the search')
  t.ok(sandbox.calls.get('product.query')! >= 3)
})

t.test('search matching no product type is an empty page (resp_code 405)', async (t) => {
  const { sandbox, aliexpress } = await setup(t)
  const data = ok(t, await aliexpress.searchProducts({ keywords: 'qwxzv plomb', page: 1, pageSize: 10 }, US))
  t.same(data, { products: [], page: 1, pageSize: 10, totalResults: 0 })
  t.equal(sandbox.calls.get('product.query'), 1)
})

t.test('missing credentials: not_configured without any HTTP', async (t) => {
  const { sandbox, aliexpress } = await setup(t, { appSecret: undefined })
  const products = await aliexpress.getProducts([sandboxIdOfKind('strong', 1)], US)
  const search = await aliexpress.searchProducts({ keywords: 'posture corrector', page: 1, pageSize: 10 }, US)
  t.equal(products.status, 'not_configured')
  t.equal(search.status, 'not_configured')
  t.equal(sandbox.totalCalls(), 0)
})

t.test('a wrong secret is rejected by the sandbox as IncompleteSignature, once, without retry', async (t) => {
  const { sandbox, aliexpress } = await setup(t, { appSecret: 'not-the-right-secret' })
  const result = await aliexpress.getProducts([sandboxIdOfKind('strong', 1)], US)
  t.equal(result.status, 'not_configured')
  if (result.status !== 'ok') {
    t.match(result.reason, /IncompleteSignature/)
    t.notMatch(result.reason, /not-the-right-secret/)
  }
  t.equal(sandbox.totalCalls(), 1)
})

t.test('a wrong app key and a stale timestamp are refused', async (t) => {
  const { aliexpress: wrongKey } = await setup(t, { appKey: '999999' })
  const badKey = await wrongKey.getProducts([sandboxIdOfKind('strong', 1)], US)
  t.equal(badKey.status, 'not_configured')
  const { aliexpress: stale } = await setup(t, { now: () => Date.now() - 3 * 3_600_000 })
  const staleResult = await stale.getProducts([sandboxIdOfKind('strong', 1)], US)
  t.equal(staleResult.status, 'unavailable')
  if (staleResult.status !== 'ok') t.match(staleResult.reason, /InvalidTimestamp/)
})

t.test('the sandbox also accepts GET and the legacy md5 signature, and verifies both independently', async (t) => {
  const { sandbox } = await setup(t)
  const id = sandboxIdOfKind('average', 4)
  const form = buildSignedParams({
    method: 'aliexpress.affiliate.productdetail.get',
    appKey: CREDS.appKey,
    appSecret: CREDS.appSecret,
    params: { product_ids: id },
    now: Date.now(),
  })
  const viaGet = await fetch(`${sandbox.url}?${new URLSearchParams(form)}`)
  t.match(parseProductDetailBody(await viaGet.text()), { status: 'ok' })

  const legacy: Record<string, string> = { ...form, sign_method: 'md5' }
  delete legacy['sign']
  const base = Object.keys(legacy)
    .sort()
    .map((name) => name + legacy[name])
    .join('')
  legacy['sign'] = createHash('md5').update(CREDS.appSecret + base + CREDS.appSecret).digest('hex').toUpperCase()
  const md5 = parseProductDetailBody(await (await fetch(sandbox.url, { method: 'POST', body: new URLSearchParams(legacy) })).text())
  t.equal(md5.status === 'ok' && md5.data.get(id)?.title, catalogueProduct(id)!.title)

  legacy['sign'] = legacy['sign'].replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))
  const tampered = await (await fetch(sandbox.url, { method: 'POST', body: new URLSearchParams(legacy) })).json()
  t.match(tampered, { error_response: { type: 'ISV', code: 'IncompleteSignature', msg: 'The request signature does not conform to platform standards' } })

  const withoutIds = buildSignedParams({ method: form['method']!, appKey: CREDS.appKey, appSecret: CREDS.appSecret, params: {}, now: Date.now() })
  const missing = await (await fetch(sandbox.url, { method: 'POST', body: new URLSearchParams(withoutIds) })).json()
  t.match(missing, { error_response: { code: 'MissingParameter' } })
})

t.test('faults map to the right status within the deadline', async (t) => {
  const cases: Array<{ fault: Behaviour['fault']; status: string; reason: RegExp; calls: (n: number) => boolean }> = [
    { fault: 'http503', status: 'unavailable', reason: /503/, calls: (n) => n > 1 },
    { fault: 'http500', status: 'unavailable', reason: /500/, calls: (n) => n > 1 },
    { fault: 'error', status: 'unavailable', reason: /isp\.remote-service-error/, calls: (n) => n === 1 },
    { fault: 'html', status: 'unavailable', reason: /HTML/, calls: (n) => n === 1 },
    { fault: 'truncated', status: 'unavailable', reason: /truncated/, calls: (n) => n === 1 },
  ]
  for (const c of cases) {
    const { sandbox, aliexpress } = await setup(t, { timeoutMs: 1_500 }, { ...FAST, faultRate: 1, fault: c.fault })
    const started = performance.now()
    const result = await aliexpress.getProducts([sandboxIdOfKind('strong', 2)], US)
    const elapsed = performance.now() - started
    t.equal(result.status, c.status, c.fault)
    if (result.status !== 'ok') t.match(result.reason, c.reason, `${c.fault}: ${result.reason}`)
    t.ok(c.calls(sandbox.totalCalls()), `${c.fault}: ${sandbox.totalCalls()} call(s)`)
    t.ok(elapsed < 1_600, `${c.fault} within the deadline (${Math.round(elapsed)} ms)`)
  }
})

t.test('a hanging upstream resolves unavailable (timeout) just after timeoutMs', async (t) => {
  const { aliexpress } = await setup(t, { timeoutMs: 400 }, { ...FAST, faultRate: 1, fault: 'timeout' })
  const started = performance.now()
  const result = await aliexpress.searchProducts({ keywords: 'massage gun', page: 1, pageSize: 10 }, US)
  const elapsed = performance.now() - started
  t.equal(result.status, 'unavailable')
  if (result.status !== 'ok') t.match(result.reason, /timeout/)
  t.ok(elapsed >= 380 && elapsed < 600, `resolved in ${Math.round(elapsed)} ms`)
})

t.test('ApiCallLimit is retried after the announced ban, then reported rate_limited', async (t) => {
  const { sandbox, aliexpress } = await setup(t, { timeoutMs: 1_500 }, { ...FAST, faultRate: 1, fault: 'rate_limit', retryAfterSeconds: 1 })
  const started = performance.now()
  const result = await aliexpress.getProducts([sandboxIdOfKind('strong', 2)], US)
  const elapsed = performance.now() - started
  t.equal(result.status, 'rate_limited')
  if (result.status !== 'ok') {
    t.match(result.reason, /ApiCallLimit/)
    t.equal(result.retryAfterMs, 1_000)
  }
  t.equal(sandbox.totalCalls(), 2, 'one retry fits in the deadline, a second does not')
  t.ok(elapsed >= 1_000 && elapsed < 1_500, `${Math.round(elapsed)} ms`)

  // The ban lifts: the same client gets its data.
  sandbox.setBehaviour({ faultRate: 0 })
  t.equal((await aliexpress.getProducts([sandboxIdOfKind('strong', 2)], US)).status, 'ok')
})

t.test('an HTTP 429 with Retry-After becomes rate_limited with retryAfterMs', async (t) => {
  // A gateway in front of AliExpress could throttle with a plain 429: the shared sandbox's generic answer.
  const server = await startSandboxServer(
    'throttling-proxy',
    { operation: () => 'any', answer: () => ({ status: 200, body: '{}' }), fault: () => undefined },
    { ...defaultBehaviour(1), jitterMs: 0, faultRate: 1, fault: 'rate_limit', retryAfterSeconds: 5 },
    '/sync',
  )
  const aliexpress = createAliexpressClient({ apiUrl: server.url, appKey: CREDS.appKey, appSecret: CREDS.appSecret, timeoutMs: 1_000 })
  t.teardown(async () => {
    await aliexpress.close()
    await server.close()
  })
  const result = await aliexpress.getProducts([sandboxIdOfKind('strong', 2)], US)
  t.match(result, { status: 'rate_limited', retryAfterMs: 5_000 })
  t.equal(server.totalCalls(), 1, 'a 5 s wait does not fit a 1 s deadline')
})

t.test('no credential in any reason or call URL', async (t) => {
  const texts: string[] = []
  const scenarios: Array<[Partial<AliexpressClientOptions>, Partial<Behaviour>]> = [
    [{}, FAST],
    [{ appSecret: 'wrong-secret-value' }, FAST],
    [{ timeoutMs: 300 }, { ...FAST, faultRate: 1, fault: 'timeout' }],
    [{}, { ...FAST, faultRate: 1, fault: 'error' }],
    [{}, { ...FAST, faultRate: 1, fault: 'http503' }],
  ]
  for (const [client, behaviour] of scenarios) {
    const { aliexpress, events } = await setup(t, client, behaviour)
    const result = await aliexpress.getProducts([sandboxIdOfKind('strong', 1)], US)
    const search = await aliexpress.searchProducts({ keywords: 'dog harness', page: 1, pageSize: 5 }, US)
    for (const r of [result, search]) if (r.status !== 'ok') texts.push(r.reason)
    texts.push(...events.map((e) => e.url))
    t.ok(events.length >= 2, 'onCall saw the calls')
  }
  t.ok(texts.length > 10)
  for (const text of texts) {
    t.notMatch(text, CREDS.appSecret)
    t.notMatch(text, 'wrong-secret-value')
    t.notMatch(text, /[0-9A-F]{64}/, 'no signature')
    t.notMatch(text, /sign=/)
  }
})

t.test('parse fixtures: numbers as strings, percent strings, missing fields, long ids', async (t) => {
  const result = parseProductDetailBody(fixture('productdetail-mixed.json'))
  const products = ok(t, result)
  t.same([...products.keys()], ['1005001560047961', '10050012345678901', '1005006123456789'])

  const heater = products.get('1005001560047961')!
  t.same(heater, {
    productId: '1005001560047961',
    title: '2500W Floating Electric Water Heater Boiler Heating Portable Immersion Reheater Suspension Bathroom Swimming Pool',
    url: 'https://www.aliexpress.com/item/3256801373733209.html',
    imageUrl: 'https://ae04.alicdn.com/kf/H3e5c495ceea145a990716511a36fc3a4d.jpg',
    category: 'Major Appliances',
    categoryId: '60702',
    firstLevelCategoryId: '6',
    price: { sale: 15.8, original: 21.07, currency: 'EUR' },
    ordersLast30Days: 13,
    positiveFeedbackRate: 95.5,
    commissionRate: 7,
    shop: { id: '1101343461', url: 'https://www.aliexpress.com/store/1101343461' },
    promotionUrl: 'https://s.click.aliexpress.com/s/OnU3FS57cvSTUbHDIXP1rj4FXerTkM7o',
  })

  const brace = products.get('10050012345678901')!
  t.equal(brace.productId, '10050012345678901', '17 digits survive exactly')
  t.same(brace.price, { sale: 4.99, currency: 'USD' })
  t.equal(brace.ordersLast30Days, 1234)
  t.equal(brace.positiveFeedbackRate, 89.22)
  t.equal(brace.commissionRate, 25)
  t.equal(brace.category, 'Beauty & Health')
  t.equal(brace.categoryId, '66')
  t.same(brace.shop, { id: '912345678', name: 'Happy Life Store' })
  for (const absent of ['promotionUrl', 'imageUrl']) t.notOk(absent in brace, `${absent} absent, not null`)

  const strip = products.get('1005006123456789')!
  t.same(strip.price, { sale: 1234.5, currency: 'JPY' })
  t.equal(strip.ordersLast30Days, 1000)
  t.equal(strip.positiveFeedbackRate, 0)
  for (const absent of ['category', 'categoryId', 'commissionRate', 'promotionUrl']) t.notOk(absent in strip, `${absent} absent`)
  t.same(strip.shop, {})
})

t.test('ship_to_days is free text: the largest day count in it, nothing without one', async (t) => {
  const cases: Array<[unknown, number | undefined]> = [
    ['10', 10],
    [12, 12],
    ['3-7', 7],
    ['ship to US in 7 days', 7],
    ['7.5', 8],
    ['Free Shipping', undefined],
    ['', undefined],
    ['0', undefined],
    [null, undefined],
  ]
  for (const [value, days] of cases) t.equal(parseDays(value), days, JSON.stringify(value))
})

t.test('parse fixtures: resp_result as a JSON string with a single product object', async (t) => {
  const products = ok(t, parseProductDetailBody(fixture('productdetail-single-string.json')))
  const blender = products.get('1005007777777777')!
  t.equal(blender.shop.id, '12000016593615824', 'a 17-digit id inside the string is kept exact')
  t.equal(blender.positiveFeedbackRate, 97.8)
  t.equal(blender.ordersLast30Days, 5210)
  t.same(blender.price, { sale: 9.8, currency: 'USD' })
  t.equal(ok(t, parseProductDetailBody(fixture('productdetail-none.json'))).size, 0)
})

t.test('parse fixtures: search pages and the empty search', async (t) => {
  const page = ok(t, parseProductQueryBody(fixture('product-query-page.json'), 2, 2))
  t.equal(page.page, 2)
  t.equal(page.totalResults, 41)
  t.same(
    page.products.map((p) => [p.productId, p.price.sale, p.price.original, p.ordersLast30Days, p.positiveFeedbackRate]),
    [
      ['1005005111111113', 2.15, undefined, 8721, 98.1],
      ['1005005222222227', 3.4, 6.8, 4, 84],
    ],
  )
  t.same(ok(t, parseProductQueryBody(fixture('product-query-empty.json'), 1, 20)), { products: [], page: 1, pageSize: 20, totalResults: 0 })
})

t.test('parse fixtures: error_response classification', async (t) => {
  t.match(parseProductDetailBody(fixture('error-incomplete-signature.json')), { status: 'not_configured', reason: /IncompleteSignature/ })
  t.match(parseProductDetailBody(fixture('error-api-call-limit.json')), { status: 'rate_limited', retryAfterMs: 2_000, reason: /ApiCallLimit/ })
  t.match(parseProductQueryBody(fixture('error-qps-numeric.json'), 1, 10), { status: 'rate_limited', retryAfterMs: 1_000 })
  t.match(parseProductDetailBody(fixture('error-account-migration.json')), {
    status: 'not_configured',
    reason: /15.*isv\.account-migration-check-fail/,
  })
  t.match(parseProductDetailBody(fixture('error-remote-service.json')), { status: 'unavailable', reason: /isp\.remote-service-error/ })
  t.equal(throttleRetryDelay(200, fixture('error-api-call-limit.json')), 2_000)
  t.equal(throttleRetryDelay(200, fixture('error-remote-service.json')), undefined)
  t.equal(throttleRetryDelay(200, fixture('productdetail-mixed.json')), undefined)
  t.match(parseProductDetailBody('<html><body>502 Bad Gateway</body></html>'), { status: 'unavailable', reason: /HTML/ })
  t.match(parseProductDetailBody(fixture('productdetail-mixed.json').slice(0, 300)), { status: 'unavailable', reason: /truncated/ })
  t.match(parseProductDetailBody('{"aliexpress_affiliate_productdetail_get_response":{"resp_result":{"resp_code":500,"resp_msg":"System Error"}}}'), {
    status: 'unavailable',
    reason: /resp_code 500/,
  })
  t.match(parseProductDetailBody('{"something_else":{}}'), { status: 'unavailable' })
})

t.test('ids are protected before JSON.parse, strings are left alone', async (t) => {
  const parsed = parseJsonKeepingIds('{"sku_id": 12000016593615824, "list": [12000016593615825, 3], "n": 3, "title": "a \\"shop_id\\": 123, x"}') as Record<string, unknown>
  t.same(parsed, { sku_id: '12000016593615824', list: ['12000016593615825', 3], n: 3, title: 'a "shop_id": 123, x' })
})
