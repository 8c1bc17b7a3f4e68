// Rows per second the write-behind queue sustains into each store it can reach here:
//   node scripts/bench-write-behind.ts [count]     (PostgreSQL only when DATABASE_URL is set)
// PostgreSQL runs in a throw-away schema; PGlite in memory. Defaults of the queue, as the app uses them.
import { randomBytes, randomInt } from 'node:crypto'
import pg from 'pg'
import { runMigrations } from '../src/store/migrate.ts'
import { createPgliteDatabase, openPglite } from '../src/store/pglite.ts'
import { createPostgresDatabase } from '../src/store/postgres.ts'
import { createSqlStore } from '../src/store/sql.ts'
import type { ValidationStore } from '../src/store/types.ts'
import { createWriteBehind } from '../src/store/write-behind.ts'
import type { Validation } from '../src/schemas/validation.ts'
import { makeValidation } from '../test/store/helpers.ts'

const COUNT = Number(process.argv[2] ?? 20_000)

function validation(i: number): Validation {
  // A full validation as the service builds them, one a second back in time.
  return makeValidation({ productId: `1005${randomInt(1e11, 1e12 - 1)}${i % 10}`, validatedAt: new Date(Date.now() - i * 1000) })
}

async function measure(name: string, store: ValidationStore): Promise<void> {
  const validations = Array.from({ length: COUNT }, (_, i) => validation(i))
  const writeBehind = createWriteBehind(store)
  const started = performance.now()
  for (const v of validations) writeBehind.enqueue(v)
  await writeBehind.close(120_000)
  const seconds = (performance.now() - started) / 1000
  const { written, depth } = writeBehind.stats()
  console.log(`${name}: ${written} rows in ${seconds.toFixed(2)} s = ${Math.round(written / seconds)} rows/s${depth ? ` (${depth} left!)` : ''}`)
}

const pglite = await openPglite('memory://')
try {
  const db = await createPgliteDatabase({ db: pglite })
  await runMigrations(db)
  await measure('PGlite (in memory)', createSqlStore('pglite', db))
} finally {
  await pglite.close()
}

const url = process.env.DATABASE_URL
if (!url) {
  console.log('PostgreSQL: skipped (DATABASE_URL is not set)')
} else {
  const schema = `bench_${randomBytes(5).toString('hex')}`
  const root = new pg.Pool({ connectionString: url, max: 1 })
  await root.query(`CREATE SCHEMA ${schema}`)
  try {
    const scoped = new URL(url)
    scoped.searchParams.set('options', `-c search_path=${schema}`)
    const db = createPostgresDatabase({ url: scoped.toString(), poolMax: 10 })
    try {
      await runMigrations(db)
      await measure('PostgreSQL', createSqlStore('postgres', db))
    } finally {
      await db.close()
    }
  } finally {
    await root.query(`DROP SCHEMA ${schema} CASCADE`)
    await root.end()
  }
}
