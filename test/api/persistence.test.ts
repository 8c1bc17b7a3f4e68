import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp, startTestSandbox } from '../helper.ts'

// The database as the third cache layer: a restarted instance answers from it without spending
// upstream quota, and the history route reads it back.

const unique = () => 10_000 + Math.floor(Math.random() * 1_000_000)

async function restartScenario(t: Test, env: Record<string, string>) {
  const sandbox = await startTestSandbox(t)
  const id = sandboxIdOfKind('strong', unique())
  const url = `/api/v1/products/${id}/validation?country=FR&currency=EUR`

  const first = await buildTestApp(t, { sandbox, env })
  const answered = await first.app.inject({ url })
  t.equal(answered.statusCode, 200, answered.body)
  t.ok(sandbox.totalCalls() > 0)
  await first.app.close() // flushes the write-behind queue

  sandbox.resetCalls()
  const second = await buildTestApp(t, { sandbox, env })
  const again = await second.app.inject({ url })
  t.equal(again.statusCode, 200)
  t.equal(sandbox.totalCalls(), 0, 'the restarted instance called no upstream')
  t.match(again.headers['server-timing'], /database;desc=hit/)
  t.same(again.json(), answered.json(), 'the same validation')

  const history = await second.app.inject({ url: `/api/v1/products/${id}/history` })
  t.equal(history.statusCode, 200, history.body)
  t.equal(history.json().items.length, 1)
  t.match(history.json().items[0], { market: { country: 'FR', currency: 'EUR' }, verdict: answered.json().verdict, score: answered.json().score.total })
  const other = await second.app.inject({ url: `/api/v1/products/${id}/history?country=US` })
  t.equal(other.json().items.length, 0, 'market filter')
}

t.test('restart with the same PGlite directory: answered from the database, zero upstream calls', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dropforge-pglite-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await restartScenario(t, { PERSISTENCE: 'on', PGLITE_DIR: dir })
})

const databaseUrl = process.env.DATABASE_URL
t.test('restart with the same PostgreSQL: answered from the database', { skip: databaseUrl ? false : 'DATABASE_URL not set' }, async (t) => {
  await restartScenario(t, { PERSISTENCE: 'on', DATABASE_URL: databaseUrl! })
})

t.test('history: newest first, paginated; 400 for a bad cursor; 503 when persistence is off', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dropforge-pglite-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { app } = await buildTestApp(t, { env: { PERSISTENCE: 'on', PGLITE_DIR: dir, CACHE_TTL_VALIDATION: '1s', CACHE_STALE_GRACE: '1s' } })
  const id = sandboxIdOfKind('average', unique())
  for (const country of ['US', 'DE', 'GB']) {
    const res = await app.inject({ url: `/api/v1/products/${id}/validation?country=${country}` })
    t.equal(res.statusCode, 200)
  }
  await app.writeBehind!.flush()
  const page1 = (await app.inject({ url: `/api/v1/products/${id}/history?limit=2` })).json()
  t.equal(page1.items.length, 2)
  t.ok(page1.items[0].validatedAt >= page1.items[1].validatedAt, 'newest first')
  t.ok(page1.nextBefore)
  const page2 = (await app.inject({ url: `/api/v1/products/${id}/history?limit=2&before=${encodeURIComponent(page1.nextBefore)}` })).json()
  t.equal(page2.items.length, 1)
  t.same(new Set([...page1.items, ...page2.items].map((i: { market: { country: string } }) => i.market.country)), new Set(['US', 'DE', 'GB']))
  t.equal((await app.inject({ url: `/api/v1/products/${id}/history?before=yesterday` })).statusCode, 400)

  const off = await buildTestApp(t)
  const res = await off.app.inject({ url: `/api/v1/products/${id}/history` })
  t.equal(res.statusCode, 503)
  t.equal(res.json().error.code, 'DATABASE_UNAVAILABLE')
})
