import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SqlDatabase } from './sql.ts'
import type { Logger } from '../logger.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../schema/migrations/', import.meta.url))

// Any constant works as long as every instance uses the same one; advisory locks are per database.
const MIGRATION_LOCK_KEY = 4_711_202_604

const MIGRATIONS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
-- On Supabase every new public table is reachable through PostgREST: RLS with no policy closes it.
ALTER TABLE schema_migrations ENABLE ROW LEVEL SECURITY;`

export interface MigrationResult {
  applied: string[]
  skipped: string[]
}

/**
 * Applies the *.sql files of `dir` in name order, each in its own transaction with its row in
 * schema_migrations, so a failed file leaves nothing half done. Every transaction first takes a
 * transaction-level advisory lock: two instances starting together apply each file once, and unlike a
 * session lock it also holds through Supabase's transaction pooler. A file changed after it was applied
 * is an error rather than silently skipped.
 */
export async function runMigrations(
  db: SqlDatabase,
  options: { dir?: string; logger?: Logger } = {},
): Promise<MigrationResult> {
  const dir = options.dir ?? MIGRATIONS_DIR
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort()
  const result: MigrationResult = { applied: [], skipped: [] }
  for (const name of names) {
    const sql = await readFile(join(dir, name), 'utf8')
    const checksum = createHash('sha256').update(sql).digest('hex')
    const applied = await db.withSession(async (session) => {
      await session.exec('BEGIN')
      try {
        await session.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
        await session.exec(MIGRATIONS_TABLE_SQL)
        const done = await session.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE name = $1', [name])
        const previous = done.rows[0]
        if (previous && previous.checksum !== checksum) {
          throw new Error(`migration ${name} changed after it was applied; add a new migration file instead`)
        }
        if (!previous) {
          await session.exec(sql)
          await session.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [name, checksum])
        }
        await session.exec('COMMIT')
        return !previous
      } catch (err) {
        await session.exec('ROLLBACK').catch(() => {})
        throw err
      }
    })
    ;(applied ? result.applied : result.skipped).push(name)
    if (applied) options.logger?.info({ migration: name }, 'migration applied')
  }
  return result
}
