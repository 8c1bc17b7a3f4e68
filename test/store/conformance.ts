import type { Test } from 'tap'
import { StoreError } from '../../src/store/errors.ts'
import { randomUUID } from 'node:crypto'
import type { HistoryItem, TopItem, TopPage } from '../../src/schemas/products.ts'
import type { Verdict } from '../../src/schemas/validation.ts'
import type { TopQuery, ValidationStore } from '../../src/store/types.ts'
import { makeValidation, newProductId, type ValidationSpec } from './helpers.ts'

// One suite for every ValidationStore: PGlite, PostgreSQL, and Supabase (supabase-js against a
// PostgREST stand-in that answers with real SQL on PGlite, see supabase.test.ts).
// Each test uses product ids of its own, so the stores may share one database.

const HOUR = 3_600_000
const at = (offsetMs: number, from = Date.parse('2025-03-01T12:00:00.000Z')) => new Date(from + offsetMs)

export function runStoreConformance(t: Test, makeStore: () => ValidationStore | Promise<ValidationStore>): void {
  let store: ValidationStore
  t.before(async () => {
    store = await makeStore()
    t.teardown(() => store.close())
  })

  t.test('a saved validation comes back equal', async (t) => {
    const v = makeValidation({ validatedAt: at(0) })
    await store.saveValidations([v])
    t.same(await store.latestValidation(v.productId, v.market, at(HOUR)), v)
  })

  t.test('latest is the newest one still within its TTL', async (t) => {
    const productId = newProductId()
    const older = makeValidation({ productId, validatedAt: at(-2 * HOUR), ttlMs: 24 * HOUR, score: 40 })
    const newer = makeValidation({ productId, validatedAt: at(-HOUR), ttlMs: 24 * HOUR, score: 70 })
    const shortLived = makeValidation({ productId, validatedAt: at(-HOUR / 2), ttlMs: HOUR / 4, score: 90 })
    await store.saveValidations([older, shortLived, newer])
    t.same((await store.latestValidation(productId, older.market, at(0)))?.score.total, 70, 'the expired newest one is skipped')
    t.same((await store.latestValidation(productId, older.market, at(-HOUR / 2 + 1)))?.score.total, 90)
    t.equal(await store.latestValidation(productId, older.market, at(23 * HOUR)), undefined, 'all expired')
  })

  t.test('expiry is exclusive: a validation is gone at its expiresAt', async (t) => {
    const v = makeValidation({ validatedAt: at(0), ttlMs: HOUR })
    await store.saveValidations([v])
    t.ok(await store.latestValidation(v.productId, v.market, at(HOUR - 1)))
    t.equal(await store.latestValidation(v.productId, v.market, at(HOUR)), undefined)
  })

  t.test('another market, product or scoring version is not the answer', async (t) => {
    const v = makeValidation({ country: 'DE', currency: 'EUR', validatedAt: at(0), scoringVersion: 'v2' })
    await store.saveValidations([v])
    t.equal(await store.latestValidation(v.productId, { country: 'DE', currency: 'USD' }, at(1)), undefined)
    t.equal(await store.latestValidation(v.productId, { country: 'FR', currency: 'EUR' }, at(1)), undefined)
    t.equal(await store.latestValidation(newProductId(), v.market, at(1)), undefined)
    t.equal(await store.latestValidation(v.productId, v.market, at(1), 'v1'), undefined)
    t.same(await store.latestValidation(v.productId, v.market, at(1), 'v2'), v)
  })

  t.test('with a scoring version, the newest of that version', async (t) => {
    const productId = newProductId()
    const old = makeValidation({ productId, validatedAt: at(-2 * HOUR), scoringVersion: 'v1' })
    const current = makeValidation({ productId, validatedAt: at(-HOUR), scoringVersion: 'v2' })
    await store.saveValidations([old, current])
    t.equal((await store.latestValidation(productId, old.market, at(0), 'v1'))?.scoringVersion, 'v1')
    t.equal((await store.latestValidation(productId, old.market, at(0)))?.scoringVersion, 'v2')
  })

  t.test('history: newest first, paginated, filtered by market', async (t) => {
    const productId = newProductId()
    const us = [0, 1, 2, 3, 4].map((i) => makeValidation({ productId, validatedAt: at(-i * HOUR), score: 50 + i }))
    const de = [0, 1].map((i) => makeValidation({ productId, country: 'DE', currency: 'EUR', validatedAt: at(-i * HOUR - 30 * 60_000) }))
    await store.saveValidations([...us, ...de])
    await store.saveValidations([makeValidation({ validatedAt: at(0) })]) // another product, never listed

    const pages: HistoryItem[][] = []
    let before: string | undefined
    do {
      const page = await store.history({ productId, limit: 3, ...(before ? { before } : {}) })
      pages.push(page.items)
      before = page.nextBefore
    } while (before && pages.length < 10)
    t.same(
      pages.map((p) => p.length),
      [3, 3, 1],
    )
    const all = pages.flat()
    const expected = [...us, ...de].map((v) => v.validatedAt).sort().reverse()
    t.same(
      all.map((i) => i.validatedAt),
      expected,
      'every validation once, newest first',
    )
    const first = all[0]!
    t.same(first, {
      validatedAt: us[0]!.validatedAt,
      expiresAt: us[0]!.expiresAt,
      market: { country: 'US', currency: 'USD' },
      score: 50,
      verdict: 'promising',
      confidence: 0.8333333333333334,
      scoringVersion: '2025.1',
      components: us[0]!.score.components,
    })

    const deOnly = await store.history({ productId, country: 'DE', currency: 'EUR', limit: 10 })
    t.same(
      deOnly.items.map((i) => i.validatedAt),
      de.map((v) => v.validatedAt),
    )
    t.equal(deOnly.nextBefore, undefined, 'no next page after the last')
    t.equal((await store.history({ productId, currency: 'USD', limit: 10 })).items.length, 5)
    t.equal((await store.history({ productId, country: 'US', limit: 2 })).items.length, 2)
    const older = await store.history({ productId, limit: 10, before: us[1]!.validatedAt })
    t.ok(
      older.items.every((i) => i.validatedAt < us[1]!.validatedAt),
      'before is exclusive',
    )
    t.equal(older.items.length, 4)
    t.same(await store.history({ productId: newProductId(), limit: 5 }), { items: [] })
  })

  t.test('history: two markets validated in the same millisecond are not split by a page end', async (t) => {
    const productId = newProductId()
    const same = at(-HOUR)
    const rows = [
      makeValidation({ productId, validatedAt: at(0) }),
      makeValidation({ productId, validatedAt: same, country: 'US', currency: 'USD' }),
      makeValidation({ productId, validatedAt: same, country: 'DE', currency: 'EUR' }),
      makeValidation({ productId, validatedAt: at(-2 * HOUR) }),
    ]
    await store.saveValidations(rows)
    const seen: string[] = []
    let before: string | undefined
    for (let i = 0; i < 10; i++) {
      const page = await store.history({ productId, limit: 2, ...(before ? { before } : {}) })
      seen.push(...page.items.map((item) => `${item.validatedAt} ${item.market.country}`))
      before = page.nextBefore
      if (!before) break
    }
    t.same(seen.sort(), rows.map((v) => `${v.validatedAt} ${v.market.country}`).sort())
  })

  t.test('history: a before that is not an instant is an INVALID_CURSOR error', async (t) => {
    await t.rejects(store.history({ productId: newProductId(), limit: 5, before: 'yesterday' }), { name: 'StoreError', code: 'INVALID_CURSOR' })
  })

  t.test('saving is idempotent: the same validation twice is one row', async (t) => {
    const v = makeValidation({ validatedAt: at(0) })
    await store.saveValidations([v])
    await store.saveValidations([v])
    await store.saveValidations([structuredClone(v)])
    t.equal((await store.history({ productId: v.productId, limit: 10 })).items.length, 1)
  })

  t.test('a batch with duplicates is saved once per key', async (t) => {
    const productId = newProductId()
    const a = makeValidation({ productId, validatedAt: at(0) })
    const b = makeValidation({ productId, validatedAt: at(-HOUR) })
    // Same key written with and without milliseconds is still one validation.
    const aAgain = { ...a, validatedAt: a.validatedAt.replace('.000Z', 'Z') }
    await store.saveValidations([a, b, a, aAgain, b])
    t.equal((await store.history({ productId, limit: 10 })).items.length, 2)
  })

  t.test('a batch of many products is saved in one call', async (t) => {
    const batch = Array.from({ length: 250 }, (_, i) => makeValidation({ validatedAt: at(-i * 1000) }))
    await store.saveValidations(batch)
    const found = await Promise.all(batch.slice(0, 20).map((v) => store.latestValidation(v.productId, v.market, at(HOUR))))
    t.same(found, batch.slice(0, 20))
  })

  t.test('an invalid row is refused with a permanent StoreError and nothing of its batch is saved', async (t) => {
    const good = makeValidation({ validatedAt: at(0) })
    const bad = makeValidation({ validatedAt: at(0), country: 'us' })
    const err = await store.saveValidations([good, bad]).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(err instanceof StoreError, 'a StoreError')
    t.match(err, { code: '23514', permanent: true })
    t.equal(await store.latestValidation(good.productId, good.market, at(1)), undefined, 'the batch is atomic')
  })

  t.test('top: the best live validations of one scoring version, the newest per product and market, best first', async (t) => {
    const scoringVersion = `top-${randomUUID()}`
    const make = (score: number | null, verdict: Verdict, spec: ValidationSpec = {}) =>
      makeValidation({ score, verdict, scoringVersion, validatedAt: at(-HOUR), ...spec })
    const best = make(90, 'strong', { category: 'Consumer Electronics' })
    const second = make(80, 'strong')
    const promising = make(70, 'promising', { country: 'DE', currency: 'EUR' })
    const risky = make(45, 'risky')
    const avoid = make(20, 'avoid')
    const expired = make(99, 'strong', { validatedAt: at(-3 * HOUR), ttlMs: HOUR })
    const otherVersion = makeValidation({ score: 95, verdict: 'strong', scoringVersion: 'an older version', validatedAt: at(-HOUR) })
    const unscored = make(null, 'insufficient_data')
    // Validated twice: the newer one is the product's answer, even with a lower score.
    const twice = newProductId()
    const superseded = make(85, 'strong', { productId: twice, validatedAt: at(-3 * HOUR) })
    const current = make(50, 'risky', { productId: twice, validatedAt: at(-HOUR / 2) })
    // Its newer validation has expired: the older one, still live, is the answer again.
    const lapsed = newProductId()
    const stillLive = make(75, 'strong', { productId: lapsed, validatedAt: at(-3 * HOUR) })
    const expiredNewer = make(10, 'avoid', { productId: lapsed, validatedAt: at(-2 * HOUR), ttlMs: HOUR / 2 })
    await store.saveValidations([best, second, promising, risky, avoid, expired, otherVersion, unscored, superseded, current, stillLive, expiredNewer])

    const ALL = ['strong', 'promising', 'risky', 'avoid'] as const
    const top = (patch: Partial<TopQuery> = {}) => store.topValidations({ verdicts: ALL, scoringVersion, now: at(0), minScore: 0, limit: 20, ...patch })
    const ids = (page: TopPage) => page.items.map((i) => i.productId)
    const page = await top()
    t.same(ids(page), [best, second, stillLive, promising, current, risky, avoid].map((v) => v.productId))
    t.equal(page.nextCursor, undefined, 'one page holds them all')
    t.same(page.items[0], {
      productId: best.productId,
      market: best.market,
      product: best.product,
      score: 90,
      verdict: 'strong',
      confidence: 0.833,
      components: best.score.components,
      economics: best.economics,
      validatedAt: best.validatedAt,
      expiresAt: best.expiresAt,
      scoringVersion,
    })
    t.same(ids(await top({ verdicts: ['strong'] })), [best, second, stillLive].map((v) => v.productId))
    t.same(ids(await top({ minScore: 70 })), [best, second, stillLive, promising].map((v) => v.productId))
    t.same(ids(await top({ country: 'DE' })), [promising.productId])
    t.same(ids(await top({ currency: 'EUR', verdicts: ['strong'] })), [])
    t.same(ids(await top({ category: 'consumer ELECTRONICS' })), [best.productId], 'category in any case')
    t.same(ids(await top({ now: at(30 * HOUR) })), [], 'all expired by then')
  })

  t.test('top: keyset pages visit every validation once, in order, ties included', async (t) => {
    const scoringVersion = `top-${randomUUID()}`
    const same = at(-HOUR)
    const scores = [60, 60, 60, 60, 55, 55, 50, 42, 42, 41, 30]
    const rows = scores.map((score, i) => makeValidation({ score, verdict: score >= 60 ? 'promising' : score >= 40 ? 'risky' : 'avoid', scoringVersion, validatedAt: i % 2 ? same : at(-i * 1000) }))
    await store.saveValidations(rows)
    const query = { verdicts: ['strong', 'promising', 'risky', 'avoid'] as const, scoringVersion, now: at(0), minScore: 0 }
    const whole = await store.topValidations({ ...query, limit: 100 })
    t.equal(whole.items.length, rows.length)
    const key = (i: TopItem) => `${String(i.score).padStart(3, '0')} ${i.validatedAt}`
    t.ok(whole.items.every((item, n) => n === 0 || key(whole.items[n - 1]!) >= key(item)), 'score, then time, never rising')
    const seen: string[] = []
    let cursor: string | undefined
    for (let n = 0; n < 10; n++) {
      const page = await store.topValidations({ ...query, limit: 3, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((i) => i.productId))
      t.ok(page.items.length <= 3)
      cursor = page.nextCursor
      if (!cursor) break
    }
    t.same(seen, whole.items.map((i) => i.productId), 'the pages joined are the whole list')
  })

  t.test('top: a cursor it did not give is an INVALID_CURSOR error', async (t) => {
    const query = { verdicts: ['strong'] as const, scoringVersion: 'x', now: at(0), minScore: 0, limit: 5 }
    for (const cursor of ['yesterday', Buffer.from('[1,2]').toString('base64url'), Buffer.from('[50,"2025-01-01T00:00:00.000Z","1; drop"]').toString('base64url')]) {
      await t.rejects(store.topValidations({ ...query, cursor }), { name: 'StoreError', code: 'INVALID_CURSOR' }, cursor)
    }
  })

  t.test('popular products: most validated since an instant first, then the most recent, per market', async (t) => {
    // Far from every other test's instants, so their rows never fall inside the window.
    const from = Date.parse('2091-06-01T00:00:00.000Z')
    const since = at(-3 * 24 * HOUR, from)
    const [a, b, c, d] = [newProductId(), newProductId(), newProductId(), newProductId()]
    const times = (productId: string, hoursAgo: number[], market = { country: 'US', currency: 'USD' }) =>
      hoursAgo.map((h) => makeValidation({ productId, ...market, validatedAt: at(-h * HOUR, from) }))
    await store.saveValidations([
      ...times(a, [1, 5, 9]),
      // b: two inside the window and five before it, which do not count
      ...times(b, [2, 30, 100, 101, 102, 103, 104]),
      // c: as many as b, validated more recently
      ...times(c, [1.5, 40]),
      ...times(d, [3, 4, 6, 7], { country: 'DE', currency: 'EUR' }),
      ...times(a, [0.5], { country: 'DE', currency: 'EUR' }),
    ])
    const top = await store.popularProducts({ since, limit: 10 })
    t.same(
      top.map((p) => `${p.productId} ${p.market.country} ${p.validations}`),
      [`${d} DE 4`, `${a} US 3`, `${c} US 2`, `${b} US 2`, `${a} DE 1`],
    )
    t.same(top[1], { productId: a, market: { country: 'US', currency: 'USD' }, validations: 3, lastValidatedAt: at(-HOUR, from).toISOString() })
    t.same(
      (await store.popularProducts({ since, limit: 2 })).map((p) => p.productId),
      [d, a],
      'limited',
    )
    t.same(
      (await store.popularProducts({ since, limit: 10, country: 'US', currency: 'USD' })).map((p) => p.productId),
      [a, c, b],
      'one market',
    )
    t.same(
      (await store.popularProducts({ since, limit: 10, currency: 'EUR' })).map((p) => p.productId),
      [d, a],
      'one currency, any country',
    )
    t.same(
      (await store.popularProducts({ since: at(-24 * HOUR, from), limit: 10 })).map((p) => `${p.productId} ${p.validations}`),
      [`${d} 4`, `${a} 3`, `${a} 1`, `${c} 1`, `${b} 1`],
      'a shorter window counts fewer',
    )
    t.same(await store.popularProducts({ since: at(HOUR, from), limit: 10 }), [], 'nothing since')
  })

  t.test('saving nothing is a no-op, ping answers', async (t) => {
    await store.saveValidations([])
    await t.resolves(store.ping())
  })
}
