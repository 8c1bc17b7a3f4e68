import t from 'tap'
import { createStore } from '../../src/store/index.ts'
import { createPostgresStore } from '../../src/store/postgres.ts'
import { runStoreConformance } from './conformance.ts'
import { createTestSchema, makeValidation, NO_DATABASE_URL } from './helpers.ts'

const schema = await createTestSchema(t)

t.test('PostgreSQL store conformance', { skip: schema ? false : NO_DATABASE_URL }, async (t) => {
  runStoreConformance(t, () => createPostgresStore({ url: schema!.url, poolMax: 4 }))
})

t.test('createStore migrates and returns a working PostgreSQL store', { skip: schema ? false : NO_DATABASE_URL }, async (t) => {
  const fresh = await createTestSchema(t, false)
  const store = await createStore({ kind: 'postgres', url: fresh!.url, poolMax: 2 })
  t.teardown(() => store?.close())
  t.equal(store?.kind, 'postgres')
  const v = makeValidation()
  await store!.saveValidations([v])
  t.same(await store!.latestValidation(v.productId, v.market, new Date()), v)
})

t.test('an unreachable database is a StoreError, not a hang', { skip: schema ? false : NO_DATABASE_URL }, async (t) => {
  const store = createPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/none', poolMax: 1, connectTimeoutMs: 1_000 })
  t.teardown(() => store.close())
  await t.rejects(store.ping(), { name: 'StoreError', permanent: false })
})
