import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { createSqlStore, type SqlDatabase } from './sql.ts'
import type { ValidationStore } from './types.ts'

/**
 * `dir` opens (and owns) a database in that directory, or in memory for 'memory://'; `db` uses an open
 * instance that the caller keeps and closes. Never open one directory from two processes: PGlite
 * corrupts it (electric-sql/pglite#1106).
 */
export type PgliteStoreOptions = { dir: string } | { db: PGlite }

export async function openPglite(dir: string): Promise<PGlite> {
  if (!dir.startsWith('memory://')) await mkdir(dir, { recursive: true })
  const db = new PGlite(dir)
  await db.waitReady
  return db
}

export async function createPgliteDatabase(options: PgliteStoreOptions): Promise<SqlDatabase> {
  const owned = 'dir' in options
  const db = owned ? await openPglite(options.dir) : options.db
  // PGlite is one connection that queues its queries, so the database is its own session.
  const session = {
    query: <R>(text: string, params?: readonly unknown[]) => db.query<R>(text, params as unknown[] | undefined),
    exec: async (text: string) => {
      await db.exec(text)
    },
  }
  return {
    query: session.query,
    withSession: (fn) => fn(session),
    close: async () => {
      if (owned) await db.close()
    },
  }
}

export async function createPgliteStore(options: PgliteStoreOptions): Promise<ValidationStore> {
  return createSqlStore('pglite', await createPgliteDatabase(options))
}
