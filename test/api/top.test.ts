import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { catalogueProduct, sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import type { TopItem } from '../../src/schemas/products.ts'
import type { Validation } from '../../src/schemas/validation.ts'
import { createPostgresDatabase } from '../../src/store/postgres.ts'
import { createSqlStore } from '../../src/store/sql.ts'
import { SCORING_VERSION } from '../../src/validation/score.ts'
import { buildTestApp } from '../helper.ts'

// GET /api/v1/products/top: the best stored validations, read back through the real app and PGlite.

const unique = () => 20_000 + Math.floor(Math.random() * 1_000_000)

t.test('the best current validations, filtered and paged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dropforge-pglite-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { app } = await buildTestApp(t, { env: { PERSISTENCE: 'on', PGLITE_DIR: dir } })
  const start = unique()
  const ids = (['strong', 'average', 'weak'] as const).flatMap((kind) => [0, 1, 2].map((n) => sandboxIdOfKind(kind, start + n)))
  const validated: Validation[] = []
  for (const id of ids) validated.push((await app.inject({ url: `/api/v1/products/${id}/validation` })).json())
  validated.push((await app.inject({ url: `/api/v1/products/${ids[0]}/validation?country=DE&currency=EUR` })).json())
  await app.writeBehind!.flush()

  const res = await app.inject({ url: '/api/v1/products/top?limit=100' })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.headers['cache-control'], 'public, max-age=60')
  const body = res.json() as { scoringVersion: string; items: TopItem[]; nextCursor?: string }
  t.equal(body.scoringVersion, SCORING_VERSION)
  t.equal(body.nextCursor, undefined)
  const ranked = validated.filter((v) => v.verdict !== 'insufficient_data')
  t.equal(body.items.length, ranked.length, 'every scored validation once')
  const expected = [...ranked].sort((a, b) => b.score.total! - a.score.total! || b.validatedAt.localeCompare(a.validatedAt))
  t.same(
    body.items.map((i) => `${i.productId} ${i.market.country} ${i.score}`),
    expected.map((v) => `${v.productId} ${v.market.country} ${v.score.total}`),
    'best first, then the newest',
  )
  const first = expected[0]!
  t.same(body.items[0], {
    productId: first.productId,
    market: first.market,
    product: first.product,
    score: first.score.total,
    verdict: first.verdict,
    confidence: Math.round(first.confidence * 1000) / 1000,
    components: first.score.components,
    economics: first.economics,
    validatedAt: first.validatedAt,
    expiresAt: first.expiresAt,
    scoringVersion: SCORING_VERSION,
  })

  const strong = (await app.inject({ url: '/api/v1/products/top?verdict=strong' })).json() as { items: TopItem[] }
  t.same(
    strong.items.map((i) => i.productId),
    expected.filter((v) => v.verdict === 'strong').map((v) => v.productId),
  )
  const high = (await app.inject({ url: '/api/v1/products/top?minScore=60' })).json() as { items: TopItem[] }
  t.ok(high.items.length > 0 && high.items.every((i) => i.score >= 60))
  const german = (await app.inject({ url: '/api/v1/products/top?country=de' })).json() as { items: TopItem[] }
  t.same(
    german.items.map((i) => i.market),
    [{ country: 'DE', currency: 'EUR' }],
  )
  const category = catalogueProduct(first.productId)!.category.secondName
  const inCategory = (await app.inject({ url: `/api/v1/products/top?category=${encodeURIComponent(category.toUpperCase())}` })).json() as { items: TopItem[] }
  t.ok(inCategory.items.length > 0 && inCategory.items.every((i) => i.product.category === category), `category ${category}`)

  const seen: string[] = []
  let cursor: string | undefined
  for (let n = 0; n < 20; n++) {
    const page = (await app.inject({ url: `/api/v1/products/top?limit=3${cursor ? `&cursor=${cursor}` : ''}` })).json() as { items: TopItem[]; nextCursor?: string }
    seen.push(...page.items.map((i) => `${i.productId} ${i.market.country} ${i.score}`))
    cursor = page.nextCursor
    if (!cursor) break
  }
  t.same(seen, body.items.map((i) => `${i.productId} ${i.market.country} ${i.score}`), 'the pages joined are the whole list')

  const bad = await app.inject({ url: '/api/v1/products/top?cursor=not-a-cursor' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'INVALID_REQUEST')
  for (const query of ['verdict=insufficient_data', 'minScore=101', 'limit=0', 'limit=101', 'country=USA', 'currency=XXX', 'sort=score']) {
    const res = await app.inject({ url: `/api/v1/products/top?${query}` })
    t.equal(res.statusCode, 400, query)
  }
})

t.test('503 DATABASE_UNAVAILABLE when persistence is off or the database is down', async (t) => {
  const off = await buildTestApp(t)
  const res = await off.app.inject({ url: '/api/v1/products/top' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'DATABASE_UNAVAILABLE')

  // A database nobody listens on: the store's query fails like a lost connection.
  const store = createSqlStore('postgres', createPostgresDatabase({ url: 'postgres://postgres@127.0.0.1:9/none', poolMax: 1 }))
  const down = await buildTestApp(t, { deps: { store } })
  t.teardown(() => store.close())
  const failed = await down.app.inject({ url: '/api/v1/products/top' })
  t.equal(failed.statusCode, 503)
  t.equal(failed.json().error.code, 'DATABASE_UNAVAILABLE')
  t.match(failed.headers['retry-after'], /^\d+$/)
})
