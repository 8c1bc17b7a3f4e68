import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createPgliteStore } from '../../src/store/pglite.ts'
import { createPostgresStore } from '../../src/store/postgres.ts'
import type { ValidationStore } from '../../src/store/types.ts'
import { createWriteBehind } from '../../src/store/write-behind.ts'
import type { Validation } from '../../src/schemas/validation.ts'
import { countRows, createTestSchema, makeValidation, NO_DATABASE_URL, sharedPglite } from './helpers.ts'
import { startTcpProxy } from './proxy.ts'

type Counter = (productIds: readonly string[]) => Promise<number>

const batchOf = (n: number): Validation[] => Array.from({ length: n }, () => makeValidation())
const idsOf = (vs: readonly Validation[]) => vs.map((v) => v.productId)

function writeBehindSuite(t: Test, makeStore: () => Promise<ValidationStore>, count: Counter): void {
  let store: ValidationStore
  t.before(async () => {
    store = await makeStore()
    t.teardown(() => store.close())
  })

  t.test('1,000 validations become 1,000 rows, in batches, without being waited for', async (t) => {
    const wb = createWriteBehind(store, { batchSize: 200, flushIntervalMs: 20 })
    t.teardown(() => wb.close())
    const validations = batchOf(1_000)
    const started = performance.now()
    const accepted = validations.map((v) => wb.enqueue(v))
    const enqueueMs = performance.now() - started
    t.ok(
      accepted.every((a) => a),
      'all accepted',
    )
    t.ok(enqueueMs < 50, `1,000 enqueues took ${enqueueMs.toFixed(2)} ms`)
    for (let i = 0; i < 500 && wb.stats().depth > 0; i++) await sleep(10)
    t.equal(await count(idsOf(validations)), 1_000)
    t.match(wb.stats(), { depth: 0, written: 1_000, failedFlushes: 0, dropped: 0, rejected: 0 })
    t.ok(wb.stats().lastFlushMs > 0, 'flush latency is measured')
  })

  t.test('close() writes everything enqueued before it resolves', async (t) => {
    const wb = createWriteBehind(store, { flushIntervalMs: 60_000 })
    const validations = batchOf(1_234)
    for (const v of validations) wb.enqueue(v)
    await wb.close()
    t.equal(await count(idsOf(validations)), 1_234)
    t.equal(wb.enqueue(makeValidation()), false, 'a closed queue takes nothing more')
    t.match(wb.stats(), { depth: 0, written: 1_234, dropped: 1 })
  })

  t.test('a full queue drops the new validation and counts it', async (t) => {
    const errors: object[] = []
    const logger = { info() {}, warn() {}, error: (obj: object) => errors.push(obj) }
    const wb = createWriteBehind(store, { maxQueue: 10, batchSize: 100, flushIntervalMs: 60_000, logger })
    const validations = batchOf(15)
    t.same(
      validations.map((v) => wb.enqueue(v)),
      [...Array(10).fill(true), ...Array(5).fill(false)],
    )
    t.equal(wb.stats().dropped, 5)
    t.equal(errors.length, 1, 'one error line for the burst, not one per drop')
    await wb.close()
    t.equal(await count(idsOf(validations.slice(0, 10))), 10, 'the queued ones are kept')
    t.equal(await count(idsOf(validations.slice(10))), 0)
  })

  t.test('a row the database refuses is given up alone; the rest of its batch is written', async (t) => {
    const errors: object[] = []
    const logger = { info() {}, warn() {}, error: (obj: object) => errors.push(obj) }
    const wb = createWriteBehind(store, { batchSize: 50, flushIntervalMs: 60_000, logger })
    const validations = batchOf(50)
    const bad = makeValidation({ country: 'us' })
    validations.splice(17, 0, bad)
    for (const v of validations) wb.enqueue(v)
    await wb.flush()
    t.equal(await count(idsOf(validations)), 50)
    t.match(wb.stats(), { depth: 0, written: 50, rejected: 1 })
    t.match(errors, [{ productId: bad.productId, code: '23514' }])
    await wb.close()
  })
}

t.test('PGlite', async (t) => {
  const db = await sharedPglite(t)
  writeBehindSuite(
    t,
    () => createPgliteStore({ db }),
    (ids) => countRows(db, ids),
  )
})

t.test('PostgreSQL', async (t) => {
  const schema = await createTestSchema(t)
  if (!schema) {
    t.test('PostgreSQL', { skip: NO_DATABASE_URL }, () => {})
    return
  }
  const count: Counter = async (ids) => countRows(schema.admin, ids)
  writeBehindSuite(t, async () => createPostgresStore({ url: schema.url, poolMax: 4 }), count)

  const throughProxy = async (t: Test) => {
    const target = new URL(schema.url)
    const proxy = await startTcpProxy(t, { host: target.hostname, port: Number(target.port || 5432) })
    target.host = `127.0.0.1:${proxy.port}`
    const store = createPostgresStore({ url: target.toString(), poolMax: 4, queryTimeoutMs: 3_000, connectTimeoutMs: 1_000 })
    t.teardown(() => store.close())
    return { proxy, store }
  }

  t.test('flush() reports a failure and keeps the rows; they are written once the database is back', async (t) => {
    const { proxy, store } = await throughProxy(t)
    const wb = createWriteBehind(store, { flushIntervalMs: 60_000, retryBaseMs: 20, retryMaxMs: 100 })
    t.teardown(() => wb.close(1_000))
    const validations = batchOf(5)
    proxy.down()
    for (const v of validations) wb.enqueue(v)
    await t.rejects(wb.flush(), { name: 'StoreError' })
    t.match(wb.stats(), { depth: 5, written: 0, failedFlushes: 1, lastError: /database/ })
    proxy.up()
    await wb.flush()
    t.equal(await count(idsOf(validations)), 5)
    t.match(wb.stats(), { depth: 0, written: 5 })
  })

  // The issue asks for the database to be gone for 10 s in the middle of a load.
  t.test('the database gone for 10 s under load: every validation arrives once, enqueue never waits', async (t) => {
    const { proxy, store } = await throughProxy(t)
    const warnings: object[] = []
    const logger = { info() {}, warn: (obj: object) => warnings.push(obj), error() {} }
    const wb = createWriteBehind(store, { batchSize: 100, flushIntervalMs: 25, retryBaseMs: 50, retryMaxMs: 1_000, logger })
    t.teardown(() => wb.close(1_000))
    const enqueued: Validation[] = []
    const enqueueMs: number[] = []
    let writtenBeforeOutage = 0
    let depthAtEndOfOutage = 0
    let enqueuedAtOutage = 0
    let enqueuedAtRecovery = 0
    const started = Date.now()
    // 500 validations a second for 13 s; the database is down from 1.5 s to 11.5 s.
    while (Date.now() - started < 13_000) {
      const elapsed = Date.now() - started
      if (elapsed >= 1_500 && writtenBeforeOutage === 0) {
        writtenBeforeOutage = wb.stats().written
        enqueuedAtOutage = enqueued.length
        proxy.down()
      }
      if (elapsed >= 11_500 && depthAtEndOfOutage === 0) {
        depthAtEndOfOutage = wb.stats().depth
        enqueuedAtRecovery = enqueued.length
        proxy.up()
      }
      for (let i = 0; i < 10; i++) {
        const v = makeValidation()
        const before = performance.now()
        const accepted = wb.enqueue(v)
        enqueueMs.push(performance.now() - before)
        if (accepted) enqueued.push(v)
      }
      await sleep(20)
    }
    await wb.close(30_000)
    const stats = wb.stats()
    t.ok(writtenBeforeOutage > 0, `${writtenBeforeOutage} written before the outage`)
    const enqueuedDuringOutage = enqueuedAtRecovery - enqueuedAtOutage
    t.ok(enqueuedDuringOutage > 1_000, `${enqueuedDuringOutage} enqueued while the database was gone`)
    t.ok(depthAtEndOfOutage >= enqueuedDuringOutage, `${depthAtEndOfOutage} waiting when it came back: none of them was lost or written`)
    t.ok(stats.failedFlushes >= 5, `${stats.failedFlushes} failed flushes, retried with backoff`)
    t.ok(warnings.length >= 5, 'each failure is logged')
    t.equal(stats.dropped, 0)
    t.equal(stats.depth, 0)
    // Synchronous pushes: only a GC pause can make one slow, never the database.
    enqueueMs.sort((a, b) => a - b)
    const p99 = enqueueMs[Math.floor(enqueueMs.length * 0.99)]!
    const slowest = enqueueMs.at(-1)!
    t.ok(p99 < 1 && slowest < 50, `enqueue p99 ${p99.toFixed(3)} ms, slowest ${slowest.toFixed(3)} ms`)
    const ids = idsOf(enqueued)
    t.equal(new Set(ids).size, enqueued.length)
    t.equal(await count(ids), enqueued.length, `all ${enqueued.length} validations are in the table, once each`)
    const keys = await schema.admin.query<{ rows: number; keys: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (product_id, country, currency, validated_at))::int AS keys
       FROM validations WHERE product_id = ANY($1)`,
      [ids],
    )
    t.same(keys.rows[0], { rows: enqueued.length, keys: enqueued.length }, 'no duplicate')
  })
})
