// npm run migrate: applies schema/migrations/*.sql to the configured database.
// DATABASE_URL -> that PostgreSQL (Supabase's connection strings included); otherwise the embedded
// PGlite in PGLITE_DIR (stop the app first: two processes must never open one PGlite directory).
import { type Config, ConfigError, loadConfig } from '../src/config.ts'
import { MIGRATIONS_DIR, runMigrations } from '../src/store/migrate.ts'
import { createPgliteDatabase } from '../src/store/pglite.ts'
import { createPostgresDatabase } from '../src/store/postgres.ts'
import type { SqlDatabase } from '../src/store/sql.ts'

async function main(): Promise<number> {
  const config = loadConfig()
  const target = migrationTarget(config)
  if (!target) {
    if (config.persistence.kind === 'off') {
      console.log('PERSISTENCE=off: nothing to migrate.')
      return 0
    }
    console.error(
      [
        'SUPABASE_URL is set, but supabase-js talks to PostgREST, which cannot run DDL. Either:',
        '  - run again with DATABASE_URL set to the project\'s connection string (Supabase dashboard,',
        '    Connect > "Direct connection" or "Session pooler"), e.g.',
        '      DATABASE_URL=postgresql://postgres:<password>@db.<project>.supabase.co:5432/postgres npm run migrate',
        `  - or paste the files of ${MIGRATIONS_DIR} into the Supabase SQL editor, in name order;`,
        '    they are safe to run again.',
      ].join('\n'),
    )
    return 1
  }
  const db: SqlDatabase =
    target.kind === 'postgres'
      ? createPostgresDatabase({ url: target.url, poolMax: 1, queryTimeoutMs: 120_000 })
      : await createPgliteDatabase({ dir: target.dir })
  try {
    const result = await runMigrations(db)
    const where = target.kind === 'postgres' ? 'PostgreSQL' : `PGlite in ${target.dir}`
    console.log(`${where}: applied ${result.applied.length} (${result.applied.join(', ') || 'none'}), already applied ${result.skipped.length}.`)
    return 0
  } finally {
    await db.close()
  }
}

/** The database DDL can go to; with Supabase selected, DATABASE_URL is looked at as if it were alone. */
function migrationTarget(config: Config): Exclude<Config['persistence'], { kind: 'off' } | { kind: 'supabase' }> | undefined {
  const persistence = config.persistence
  if (persistence.kind === 'postgres' || persistence.kind === 'pglite') return persistence
  if (persistence.kind === 'off') return undefined
  const direct = loadConfig({ ...process.env, SUPABASE_URL: '', SUPABASE_SERVICE_ROLE_KEY: '' }).persistence
  return direct.kind === 'postgres' ? direct : undefined
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    // Connection errors can quote the URL; print the message only (pg never includes the password).
    console.error(err instanceof ConfigError ? err.message : `migration failed: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  },
)
