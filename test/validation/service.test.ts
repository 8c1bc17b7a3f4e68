import t, { type Test } from 'tap'
import { createCache } from '../../src/cache/cache.ts'
import { createMemoryStore } from '../../src/cache/stores.ts'
import { AppError } from '../../src/errors.ts'
import { withSandbox } from '../../src/sandbox/index.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import type { SandboxOptions } from '../../src/sandbox/index.ts'
import type { Validation } from '../../src/schemas/validation.ts'
import { createMemoryQuotaCounter } from '../../src/quota/counter.ts'
import { createAliexpressClient } from '../../src/sources/aliexpress/client.ts'
import { createFacebookClient } from '../../src/sources/facebook/client.ts'
import { createYoutubeClient } from '../../src/sources/youtube/client.ts'
import type { ValidationArchive } from '../../src/validation/context.ts'
import { createValidationService } from '../../src/validation/service.ts'
import { startTestSandbox, testConfig } from '../helper.ts'

// The service through its own functions, against the sandbox upstreams over HTTP and a real cache:
// what a route cannot see (timings, the archive, the sink, TTLs of degraded answers, refresh).

const US = { country: 'US', currency: 'USD' }
let next = 0
const id = (kind: 'strong' | 'average' | 'unknown' = 'strong') => sandboxIdOfKind(kind, 3000 + (process.pid % 500) * 10 + next++)

async function setup(t: Test, options: { sandbox?: SandboxOptions; archive?: ValidationArchive; ttl?: string; deadlineMs?: number } = {}) {
  const sandbox = await startTestSandbox(t, options.sandbox)
  const config = withSandbox(testConfig(options.ttl ? { CACHE_TTL_VALIDATION: options.ttl } : {}), sandbox)
  const timeoutMs = 2_000
  const clients = [
    createAliexpressClient({ ...config.aliexpress, timeoutMs }),
    createFacebookClient({ ...config.facebook, timeoutMs }),
    createYoutubeClient({ ...config.youtube, timeoutMs, quota: createMemoryQuotaCounter() }),
  ] as const
  t.teardown(() => Promise.all(clients.map((c) => c.close())))
  const cache = createCache({ store: createMemoryStore(8_000_000).keyv, staleGraceMs: 60_000 })
  const saved: Validation[] = []
  const service = createValidationService({
    aliexpress: clients[0],
    facebook: clients[1],
    youtube: clients[2],
    cache,
    archive: options.archive,
    sink: { enqueue: (v) => saved.push(v) > 0 },
    weights: config.scoringWeights,
    ttl: { validationMs: config.cache.validationTtlMs, searchMs: config.cache.searchTtlMs, suppliersMs: config.cache.suppliersTtlMs },
    facebookCountries: config.facebook.adCountries,
    sandbox: true,
    deadlineMs: options.deadlineMs ?? timeoutMs,
  })
  return { service, sandbox, saved, cache }
}

t.test('validate: a miss times each upstream and persists once; the same request is then a hit', async (t) => {
  const { service, sandbox, saved } = await setup(t)
  const req = service.validationRequest({ productId: id(), market: US })
  const miss = await service.validate(req)
  t.equal(miss.status, 'MISS')
  t.same(
    miss.timings.map((x) => x.name).sort(),
    ['aliexpress', 'aliexpress-freight', 'facebook', 'youtube'],
  )
  t.ok(miss.timings.every((x) => typeof x.durMs === 'number'), 'each upstream with its duration')
  t.equal(miss.value.sandbox, true)
  t.equal(saved.length, 1, 'handed to the sink once')
  const calls = sandbox.totalCalls()
  const hit = await service.validate(service.validationRequest({ productId: req.productId, market: US }))
  t.equal(hit.status, 'HIT')
  t.same(hit.timings, [{ name: 'cache', desc: 'hit' }])
  t.same(hit.value, JSON.parse(JSON.stringify(miss.value)), 'the same answer (as JSON: the cache stores JSON, which has no undefined)')
  t.equal(sandbox.totalCalls(), calls, 'no upstream call')
  t.equal(saved.length, 1, 'a hit is not persisted again')
  t.equal(miss.entry.freshUntil - miss.entry.storedAt, 24 * 3_600_000, 'a complete validation lives for CACHE_TTL_VALIDATION')
})

t.test('validate: caller keywords start Meta and YouTube alongside AliExpress (and shipping, which needs no title)', async (t) => {
  const latency = { latencyMs: 150, jitterMs: 0 }
  const { service } = await setup(t, { sandbox: { aliexpress: latency, facebook: latency, youtube: latency } })
  const req = service.validationRequest({ productId: id(), market: US, keywords: '  LED  Strip ' })
  t.equal(req.terms, 'led strip', 'normalized into the request and its key')
  t.match(req.key, /:led strip$/)
  const started = performance.now()
  const outcome = await service.validate(req)
  const elapsed = performance.now() - started
  t.equal(outcome.value.keywords, 'led strip')
  const took = Object.fromEntries(outcome.timings.map((x) => [x.name, x.durMs!]))
  // In parallel the answer takes the slowest source, not AliExpress plus the slower of the other two.
  const slowest = Math.max(took.aliexpress!, took.facebook!, took.youtube!, took['aliexpress-freight']!)
  t.ok(elapsed < slowest + 100, `answered in ${Math.round(elapsed)} ms, the slowest source took ${Math.round(slowest)} ms`)
  t.ok(elapsed < took.aliexpress! + Math.max(took.facebook!, took.youtube!) - 100, 'less than one after the other')
})

t.test('validate: one deadline for all the upstream calls, however long AliExpress took', async (t) => {
  const { service } = await setup(t, { deadlineMs: 700, sandbox: { aliexpress: { latencyMs: 300, jitterMs: 0 }, facebook: { fault: 'timeout', faultRate: 1 } } })
  const started = performance.now()
  const outcome = await service.validate(service.validationRequest({ productId: id(), market: US }))
  const elapsed = performance.now() - started
  t.ok(elapsed < 700 + 100, `answered in ${Math.round(elapsed)} ms, within the 700 ms deadline (AliExpress alone took 300)`)
  t.equal(outcome.value.signals.facebook.status, 'unavailable', 'Meta, still silent at the deadline, is left out')
  t.equal(outcome.value.signals.youtube.status, 'ok')
})

t.test('validate: AliExpress failures are registry errors, and a product it does not have is PRODUCT_NOT_FOUND', async (t) => {
  const { service, sandbox } = await setup(t)
  const unknown = service.validationRequest({ productId: id('unknown'), market: US })
  await t.rejects(service.validate(unknown), new AppError('PRODUCT_NOT_FOUND', 'AliExpress has no such product (or it is not in the affiliate programme)'))
  sandbox.aliexpress.setBehaviour({ fault: 'http503', faultRate: 1 })
  const failing = service.validationRequest({ productId: id(), market: US })
  const error = await service.validate(failing).catch((e: unknown) => e)
  t.ok(error instanceof AppError)
  t.equal((error as AppError).code, 'UPSTREAM_UNAVAILABLE')
  t.match((error as AppError).headers, { 'retry-after': /^\d+$/ })
})

t.test('validate: a validation missing Meta is kept a minute, not a day, and says why', async (t) => {
  const { service } = await setup(t, { sandbox: { facebook: { fault: 'http503', faultRate: 1 } } })
  const outcome = await service.validate(service.validationRequest({ productId: id(), market: US }))
  t.equal(outcome.value.signals.facebook.status, 'unavailable')
  t.notOk(outcome.value.signals.facebook.data)
  t.ok(outcome.value.confidence < 1)
  t.ok(outcome.value.reasons.some((r) => r.code === 'SOURCE_UNAVAILABLE'))
  t.equal(outcome.entry.freshUntil - outcome.entry.storedAt, 60_000)
  t.equal(Date.parse(outcome.value.expiresAt) - Date.parse(outcome.value.validatedAt), 60_000)
})

t.test('validate: a stored validation within its TTL answers a miss without any upstream call', async (t) => {
  const productId = id()
  const first = await setup(t)
  const stored = (await first.service.validate(first.service.validationRequest({ productId, market: US }))).value
  const asked: string[] = []
  const archive: ValidationArchive = {
    async latestValidation(pid) {
      asked.push(pid)
      return pid === productId ? stored : undefined
    },
  }
  const { service, sandbox, saved } = await setup(t, { archive })
  const outcome = await service.validate(service.validationRequest({ productId, market: US }))
  t.equal(outcome.status, 'MISS')
  t.same(outcome.timings, [{ name: 'database', desc: 'hit' }])
  t.same(outcome.value, stored)
  t.equal(sandbox.totalCalls(), 0)
  t.equal(saved.length, 0, 'what came from the database is not written back')
  t.same(asked, [productId])
  await service.validate(service.validationRequest({ productId, market: US, keywords: 'some words' }))
  t.same(asked, [productId], 'caller keywords never read the archive')
})

t.test('validate: refresh skips every cached answer and asks the upstreams again', async (t) => {
  const { service, sandbox } = await setup(t)
  const req = service.validationRequest({ productId: id(), market: US })
  const first = await service.validate(req)
  const calls = sandbox.totalCalls()
  const again = await service.validate(req, { refresh: true })
  t.equal(again.status, 'MISS')
  t.ok(sandbox.aliexpress.totalCalls() > 1 && sandbox.totalCalls() > calls, 'the upstreams were called again')
  t.ok(again.entry.storedAt >= first.entry.storedAt)
  t.equal((await service.validate(req)).value.validatedAt, again.value.validatedAt, 'and the new answer is what is cached')
})

t.test('batch: duplicates validated once, one multi-id AliExpress call, results streamed in any order but kept in input order', async (t) => {
  const { service, sandbox } = await setup(t)
  const ids = [id(), id('average'), id()]
  const items = [
    { input: ids[0]!, productId: ids[0] },
    { input: 'junk', error: new AppError('INVALID_PRODUCT') },
    { input: ids[1]!, productId: ids[1] },
    { input: ids[0]!, productId: ids[0] },
    { input: ids[2]!, productId: ids[2] },
  ]
  const seen: number[] = []
  const answer = await service.validateBatch(items, US, (index) => seen.push(index))
  t.same(
    answer.results.map((r) => r.status),
    ['ok', 'error', 'ok', 'ok', 'ok'],
  )
  t.same(
    [...seen].sort(),
    [0, 1, 2, 3, 4],
    'each result reported once',
  )
  t.equal(answer.results[3]!.status === 'ok' && answer.results[3]!.validation.productId, ids[0])
  t.match(answer.summary, { requested: 5, unique: 3, fetched: 3, fromCache: 0, failed: 1 })
  t.equal(sandbox.aliexpress.calls.get('productdetail.get'), 1, 'the three products in one call')
  const repeat = await service.validateBatch(items.slice(0, 1), US)
  t.match(repeat.summary, { fromCache: 1, fetched: 0 })
})

t.test('search: normalized terms, listings in the public shape, cached', async (t) => {
  const { service, sandbox } = await setup(t)
  const req = service.searchRequest({ q: '  Posture  CORRECTOR ', page: 1, pageSize: 5, market: US })
  const miss = await service.search(req)
  t.equal(miss.status, 'MISS')
  t.equal(miss.value.query, 'posture corrector')
  t.ok(miss.value.products.length > 0 && miss.value.products.length <= 5)
  t.match(miss.value.products[0], { productId: /^\d+$/, title: String, url: /^https:/, price: { currency: 'USD' } })
  t.match(miss.timings, [{ name: 'aliexpress', durMs: Number }])
  const hit = await service.search(service.searchRequest({ q: 'posture corrector', page: 1, pageSize: 5, market: US }))
  t.equal(hit.status, 'HIT')
  t.equal(sandbox.aliexpress.totalCalls(), 1)
})

t.test('suppliers: other listings only, the product itself and its own shop left out, picks among trusted suppliers', async (t) => {
  const { service } = await setup(t)
  const productId = id()
  const outcome = await service.suppliers(service.suppliersRequest({ productId, market: US }))
  const answer = outcome.value
  t.equal(answer.productId, productId)
  t.ok(answer.suppliers.length > 0)
  const listed = [...answer.suppliers, ...answer.alternatives]
  t.notOk(
    listed.some((s) => s.productId === productId || (answer.product.shop.id && s.shop.id === answer.product.shop.id)),
    'neither the product nor its shop',
  )
  const trusted = answer.suppliers.filter((s) => s.positiveFeedbackRate! >= 90 && s.ordersLast30Days! >= 10)
  const cheapest = trusted.find((s) => s.productId === answer.cheapest)
  t.ok(cheapest, 'the cheapest is a trusted supplier of the same product')
  t.ok(trusted.every((s) => s.price.sale! >= cheapest!.price.sale!))
  t.equal((await service.suppliers(service.suppliersRequest({ productId, market: US }))).status, 'HIT')
})
