import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { MIGRATIONS_DIR, runMigrations } from '../../src/store/migrate.ts'
import { createPgliteDatabase, openPglite } from '../../src/store/pglite.ts'
import { createSqlStore, type SqlDatabase } from '../../src/store/sql.ts'
import { createTestSchema, makeValidation, NO_DATABASE_URL, newProductId, postgresDatabase } from './helpers.ts'


// Every file of schema/migrations, in the order they apply.
const MIGRATIONS = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort()

const EXPECTED_INDEXES = [
  'validations_pkey',
  'validations_product_market_time_key',
  'validations_product_history_idx',
  'validations_verdict_score_idx',
  'validations_validated_at_idx',
]

async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
    return undefined
  } catch (err) {
    return (err as { code?: string }).code
  }
}

/** The schema checks, for any database the migrations were never applied to. */
async function checkFreshDatabase(t: Test, kind: 'pglite' | 'postgres', db: SqlDatabase, schemaName: string): Promise<void> {
  t.test('migrating twice: the second run applies nothing', async (t) => {
    t.same(await runMigrations(db), { applied: MIGRATIONS, skipped: [] })
    t.same(await runMigrations(db), { applied: [], skipped: MIGRATIONS })
  })

  t.test('tables, indexes, RLS and its policies exist', async (t) => {
    const tables = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schemaName],
    )
    t.same(
      tables.rows.map((r) => r.table_name),
      ['products', 'schema_migrations', 'validations'],
    )
    const indexes = await db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'validations'`, [
      schemaName,
    ])
    t.same(indexes.rows.map((r) => r.indexname).sort(), [...EXPECTED_INDEXES].sort())
    const rls = await db.query<{ relname: string; relrowsecurity: boolean }>(
      `SELECT c.relname, c.relrowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
      [schemaName],
    )
    t.same(rls.rows, [
      { relname: 'products', relrowsecurity: true },
      { relname: 'schema_migrations', relrowsecurity: true },
      { relname: 'validations', relrowsecurity: true },
    ])
    const policies = await db.query<{ tablename: string; policyname: string; cmd: string; roles: string[] | string }>(
      `SELECT tablename, policyname, cmd, roles FROM pg_policies WHERE schemaname = $1 ORDER BY tablename`,
      [schemaName],
    )
    t.same(
      policies.rows.map((p) => ({ ...p, roles: rolesOf(p.roles) })),
      [
        { tablename: 'products', policyname: 'products_read', cmd: 'SELECT', roles: ['anon', 'authenticated'] },
        { tablename: 'validations', policyname: 'validations_read', cmd: 'SELECT', roles: ['anon', 'authenticated'] },
      ],
      'read policies only: no role but the service role can write',
    )
  })

  t.test('the top-validations file is safe to paste into an SQL editor twice', async (t) => {
    const sql = await readFile(join(MIGRATIONS_DIR, '0003_top_validations.sql'), 'utf8')
    await db.withSession((session) => session.exec(sql))
    await db.withSession((session) => session.exec(sql))
    const indexes = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'validations_verdict_score_idx'`, [
      schemaName,
    ])
    t.match(indexes.rows[0]?.indexdef, /\(verdict, scoring_version, score DESC NULLS LAST, validated_at DESC, id DESC, expires_at\)/)
  })

  t.test('constraints keep bad rows out', async (t) => {
    const productId = newProductId()
    await db.query(`INSERT INTO products (product_id, title, first_validated_at, last_validated_at) VALUES ($1, 't', now(), now())`, [productId])
    const insert = (overrides: Record<string, unknown>) => {
      const row: Record<string, unknown> = {
        product_id: productId,
        country: 'US',
        currency: 'USD',
        score: 50,
        components: {},
        verdict: 'strong',
        confidence: 0.5,
        signals: {},
        payload: {},
        scoring_version: 'v1',
        validated_at: '2025-03-01T00:00:00Z',
        expires_at: '2025-03-02T00:00:00Z',
        ...overrides,
      }
      const columns = Object.keys(row)
      return db.query(
        `INSERT INTO validations (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        columns.map((c) => (typeof row[c] === 'object' && row[c] !== null ? JSON.stringify(row[c]) : row[c])),
      )
    }
    t.equal(await sqlState(insert({})), undefined, 'a good row goes in')
    t.equal(await sqlState(insert({})), '23505', 'the same product, market and instant twice')
    t.equal(await sqlState(insert({ product_id: newProductId() })), '23503', 'an unknown product')
    t.equal(await sqlState(insert({ country: 'us', validated_at: '2025-03-01T01:00:00Z' })), '23514', 'lower-case country')
    t.equal(await sqlState(insert({ currency: 'US', validated_at: '2025-03-01T01:00:00Z' })), '23514', 'a two-letter currency')
    t.equal(await sqlState(insert({ score: 101, validated_at: '2025-03-01T01:00:00Z' })), '23514', 'score over 100')
    t.equal(await sqlState(insert({ confidence: 1.5, validated_at: '2025-03-01T01:00:00Z' })), '23514', 'confidence over 1')
    t.equal(await sqlState(insert({ verdict: 'great', validated_at: '2025-03-01T01:00:00Z' })), '23514', 'an unknown verdict')
    t.equal(await sqlState(insert({ expires_at: '2025-03-01T00:00:00Z' })), '23514', 'expiring when validated')
    t.equal(await sqlState(insert({ payload: [], validated_at: '2025-03-01T01:00:00Z' })), '23514', 'a payload that is not an object')
    t.equal(await sqlState(insert({ scoring_version: null, validated_at: '2025-03-01T01:00:00Z' })), '23502', 'no scoring version')
    t.equal(
      await sqlState(db.query(`INSERT INTO products (product_id, title, first_validated_at, last_validated_at) VALUES ('12ab', 't', now(), now())`)),
      '23514',
      'a product id that is not digits',
    )
  })

  t.test('anon reads, anon cannot write, service_role can', async (t) => {
    const productId = newProductId()
    await db.withSession(async (session) => {
      await session.exec('BEGIN')
      try {
        await session.exec(`GRANT USAGE ON SCHEMA "${schemaName}" TO anon, authenticated, service_role`)
        await session.exec('SET LOCAL ROLE anon')
        t.same((await session.query('SELECT count(*)::int AS n FROM validations WHERE product_id = $1', [productId])).rows, [{ n: 0 }])
        const denied = await session.exec(`SAVEPOINT s; INSERT INTO products VALUES ('${productId}', 't', null, null, null, now(), now())`).then(
          () => undefined,
          (err: { code?: string }) => err.code,
        )
        t.equal(denied, '42501', 'insufficient privilege')
        await session.exec('ROLLBACK TO SAVEPOINT s; SAVEPOINT f')
        const ranking = await session.query("SELECT * FROM popular_products(now() - interval '1 day', 10)").then(
          () => undefined,
          (err: { code?: string }) => err.code,
        )
        t.equal(ranking, '42501', 'anon cannot call popular_products')
        await session.exec('ROLLBACK TO SAVEPOINT f')
        const top = await session.query(`SELECT * FROM top_validations(ARRAY['strong'], 'v1', now(), 0, 101, 'infinity', 9223372036854775807, 5)`)
        t.same(top.rows, [], 'anon may list the top validations (through the read policy)')
        await session.exec('SET LOCAL ROLE service_role')
        await session.exec(`INSERT INTO products VALUES ('${productId}', 't', null, null, null, now(), now())`)
        t.pass('service_role writes')
        t.same((await session.query("SELECT * FROM popular_products(now() - interval '1 day', 10, 'US', 'USD')")).rows, [], 'and ranks')
      } finally {
        await session.exec('ROLLBACK')
      }
    })
  })

  t.test('products keep their earliest first and newest details, whatever order saves arrive in', async (t) => {
    const store = createSqlStore(kind, db)
    const productId = newProductId()
    const newer = makeValidation({ productId, validatedAt: new Date('2025-03-02T00:00:00Z'), title: 'new title' })
    const older = makeValidation({ productId, validatedAt: new Date('2025-03-01T00:00:00Z'), title: 'old title' })
    const oldest = makeValidation({ productId, validatedAt: new Date('2025-02-01T00:00:00Z'), title: 'oldest title' })
    await store.saveValidations([newer])
    await store.saveValidations([older])
    await store.saveValidations([oldest, older])
    const product = await db.query<{ title: string; first_validated_at: Date; last_validated_at: Date }>(
      'SELECT title, first_validated_at, last_validated_at FROM products WHERE product_id = $1',
      [productId],
    )
    t.same(product.rows, [{ title: 'new title', first_validated_at: new Date(oldest.validatedAt), last_validated_at: new Date(newer.validatedAt) }])
  })

  t.test('a migration changed after it was applied is refused', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dropforge-migrations-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    await copyFile(join(MIGRATIONS_DIR, '0001_init.sql'), join(dir, '0001_init.sql'))
    await writeFile(join(dir, '0001_init.sql'), '\n-- edited\n', { flag: 'a' })
    await t.rejects(runMigrations(db, { dir }), /0001_init\.sql changed after it was applied/)
  })

  t.test('a failing migration leaves nothing behind and is retried next time', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'dropforge-migrations-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    await copyFile(join(MIGRATIONS_DIR, '0001_init.sql'), join(dir, '0001_init.sql'))
    await writeFile(join(dir, '0002_broken.sql'), 'CREATE TABLE half_done (id int);\nSELECT 1 / 0;\n')
    await t.rejects(runMigrations(db, { dir }), { code: '22012' })
    const left = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'half_done'`, [schemaName])
    t.equal(left.rows.length, 0, 'the half-applied file was rolled back')
    const recorded = await db.query(`SELECT name FROM schema_migrations WHERE name = '0002_broken.sql'`)
    t.equal(recorded.rows.length, 0)
    await writeFile(join(dir, '0002_broken.sql'), 'CREATE TABLE half_done (id int);\n')
    t.same(await runMigrations(db, { dir }), { applied: ['0002_broken.sql'], skipped: ['0001_init.sql'] })
    await db.query('DROP TABLE half_done')
    await db.query(`DELETE FROM schema_migrations WHERE name = '0002_broken.sql'`)
  })
}

// PGlite returns a name[] as an array, node-postgres as the text '{anon,authenticated}'.
function rolesOf(roles: string[] | string): string[] {
  return (Array.isArray(roles) ? roles : roles.replace(/^\{|\}$/g, '').split(',')).sort()
}

t.test('PGlite', async (t) => {
  const pglite = await openPglite('memory://')
  t.teardown(() => pglite.close())
  await checkFreshDatabase(t, 'pglite', await createPgliteDatabase({ db: pglite }), 'public')
})

t.test('PostgreSQL', async (t) => {
  const schema = await createTestSchema(t, false)
  if (!schema) {
    t.test('PostgreSQL', { skip: NO_DATABASE_URL }, () => {})
    return
  }
  await checkFreshDatabase(t, 'postgres', postgresDatabase(t, schema.url), schema.name)

  t.test('two instances migrating at once apply each file once', async (t) => {
    const other = await createTestSchema(t, false)
    const [a, b] = await Promise.all([runMigrations(postgresDatabase(t, other!.url, 1)), runMigrations(postgresDatabase(t, other!.url, 1))])
    t.same([...a.applied, ...b.applied].sort(), MIGRATIONS)
    t.same([...a.skipped, ...b.skipped].sort(), MIGRATIONS)
  })
})
