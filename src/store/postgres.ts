import pg from 'pg'
import { createSqlStore, type SqlDatabase } from './sql.ts'
import type { Logger } from '../logger.ts'
import type { ValidationStore } from './types.ts'

export interface PostgresStoreOptions {
  /** any PostgreSQL URL, Supabase's direct, session-pooler and transaction-pooler strings included */
  url: string
  poolMax: number
  /** client-side deadline of one query */
  queryTimeoutMs?: number
  connectTimeoutMs?: number
  logger?: Logger
}

export function createPostgresDatabase(options: PostgresStoreOptions): SqlDatabase {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    // A client-side timeout rather than the statement_timeout startup parameter, which PgBouncer-style
    // transaction poolers refuse ("unsupported startup parameter").
    query_timeout: options.queryTimeoutMs ?? 10_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'dropforge',
  })
  // An idle client whose connection dies emits 'error' on the pool; without a listener the process exits.
  pool.on('error', (err) => options.logger?.warn({ err: err.message }, 'idle database connection failed'))
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => (await pool.query(text, params as unknown[] | undefined)) as unknown as { rows: R[] },
    async withSession(fn) {
      const client = await pool.connect()
      let failure: Error | undefined
      try {
        return await fn({
          query: async <R>(text: string, params?: readonly unknown[]) =>
            (await client.query(text, params as unknown[] | undefined)) as unknown as { rows: R[] },
          exec: async (text) => {
            await client.query(text)
          },
        })
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err))
        throw err
      } finally {
        // A client that failed mid-transaction is discarded rather than returned to the pool.
        client.release(failure)
      }
    },
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  }
}

export function createPostgresStore(options: PostgresStoreOptions): ValidationStore {
  return createSqlStore('postgres', createPostgresDatabase(options))
}
