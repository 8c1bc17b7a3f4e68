import t from 'tap'
import { createPgliteStore } from '../../src/store/pglite.ts'
import { runStoreConformance } from './conformance.ts'
import { sharedPglite } from './helpers.ts'

const db = await sharedPglite(t)

t.test('PGlite store conformance', async (t) => {
  runStoreConformance(t, () => createPgliteStore({ db }))
})

t.test('a store on a directory owns its database and reopens it with the data', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { createStore } = await import('../../src/store/index.ts')
  const { makeValidation } = await import('./helpers.ts')
  const dir = await mkdtemp(join(tmpdir(), 'dropforge-pglite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const v = makeValidation()
  const first = await createStore({ kind: 'pglite', dir: join(dir, 'data') })
  t.equal(first?.kind, 'pglite')
  await first!.saveValidations([v])
  await first!.close()
  const second = await createStore({ kind: 'pglite', dir: join(dir, 'data') })
  t.teardown(() => second?.close())
  t.same(await second!.latestValidation(v.productId, v.market, new Date()), v, 'a restart keeps what was saved')
})
