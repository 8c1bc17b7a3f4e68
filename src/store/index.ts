import type { Config } from '../config.ts'
import { runMigrations } from './migrate.ts'
import { createPgliteDatabase } from './pglite.ts'
import { createPostgresDatabase } from './postgres.ts'
import { createSqlStore, type SqlDatabase } from './sql.ts'
import { createSupabaseStore } from './supabase.ts'
import type { Logger } from '../logger.ts'
import type { ValidationStore } from './types.ts'

export { StoreError } from './errors.ts'
export { parseBefore } from './rows.ts'
export type { HistoryQuery, ValidationStore } from './types.ts'
export { createWriteBehind, type WriteBehind, type WriteBehindOptions, type WriteBehindStats } from './write-behind.ts'

export interface CreateStoreOptions {
  /**
   * Apply pending migrations before returning (default true; PGlite always migrates). Turn it off when
   * the database user may not run DDL and `npm run migrate` is part of the deployment instead.
   */
  migrate?: boolean
}

/**
 * The store for the configured persistence, ready to use, or undefined when persistence is off.
 * supabase-js cannot run DDL through PostgREST: its schema is applied with `npm run migrate` against the
 * project's connection string, or in the SQL editor.
 */
export async function createStore(
  persistence: Config['persistence'],
  logger?: Logger,
  options: CreateStoreOptions = {},
): Promise<ValidationStore | undefined> {
  switch (persistence.kind) {
    case 'off':
      return undefined
    case 'supabase':
      return createSupabaseStore({ url: persistence.url, serviceRoleKey: persistence.serviceRoleKey })
    case 'postgres': {
      const db = createPostgresDatabase({ url: persistence.url, poolMax: persistence.poolMax, logger })
      if (options.migrate !== false) await migrateOrClose(db, logger)
      return createSqlStore('postgres', db)
    }
    case 'pglite': {
      const db = await createPgliteDatabase({ dir: persistence.dir })
      await migrateOrClose(db, logger)
      return createSqlStore('pglite', db)
    }
  }
}

async function migrateOrClose(db: SqlDatabase, logger: Logger | undefined): Promise<void> {
  try {
    await runMigrations(db, { logger })
  } catch (err) {
    await db.close().catch(() => {})
    throw err
  }
}
