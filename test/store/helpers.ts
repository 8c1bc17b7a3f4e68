import { randomBytes, randomInt } from 'node:crypto'
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { runMigrations } from '../../src/store/migrate.ts'
import { createPgliteDatabase, openPglite } from '../../src/store/pglite.ts'
import { createPostgresDatabase } from '../../src/store/postgres.ts'
import type { SqlDatabase } from '../../src/store/sql.ts'
import type { Validation, Verdict } from '../../src/schemas/validation.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const DATABASE_URL = process.env.DATABASE_URL
export const NO_DATABASE_URL = 'DATABASE_URL is not set: start PostgreSQL and set it to run the PostgreSQL store tests'

/** A product id no other test uses. */
export function newProductId(): string {
  return `1005${randomInt(1e11, 1e12 - 1)}${randomInt(0, 10)}`
}

export interface ValidationSpec {
  productId?: string
  country?: string
  currency?: string
  validatedAt?: Date
  ttlMs?: number
  score?: number | null
  verdict?: Verdict
  scoringVersion?: string
  title?: string
  category?: string
}

/** A complete validation as the service builds it, with the signals a real one carries. */
export function makeValidation(spec: ValidationSpec = {}): Validation {
  const validatedAt = spec.validatedAt ?? new Date()
  const score = spec.score === undefined ? 64 : spec.score
  return {
    productId: spec.productId ?? newProductId(),
    market: { country: spec.country ?? 'US', currency: spec.currency ?? 'USD' },
    product: {
      title: spec.title ?? 'LED Strip Lights Bluetooth 10m RGB',
      url: 'https://www.aliexpress.com/item/1005006123456789.html',
      imageUrl: 'https://ae01.alicdn.com/kf/S1.jpg',
      category: spec.category ?? 'Lights & Lighting',
      price: { sale: 12.5, original: 25, currency: spec.currency ?? 'USD' },
      ordersLast30Days: 2431,
      positiveFeedbackRate: 96.4,
      shop: { id: '912345678', url: 'https://www.aliexpress.com/store/912345678' },
    },
    keywords: 'led strip lights bluetooth',
    signals: {
      aliexpress: {
        status: 'ok',
        fetchedAt: validatedAt.toISOString(),
        measuredIn: { country: spec.country ?? 'US', currency: spec.currency ?? 'USD' },
        data: { salePrice: 12.5, originalPrice: 25, currency: 'USD', ordersLast30Days: 2431, positiveFeedbackRate: 96.4, commissionRate: 7 },
      },
      facebook: {
        status: 'ok',
        fetchedAt: validatedAt.toISOString(),
        measuredIn: { countries: ['DE', 'FR', 'ES', 'IT', 'NL'] },
        data: { activeAds: 42, advertisers: 17, medianAdAgeDays: 21, longestRunningAdDays: 140, newAdsLast7Days: 5, truncated: false },
      },
      youtube: {
        status: 'quota_exhausted',
        fetchedAt: validatedAt.toISOString(),
        measuredIn: { regionCode: spec.country ?? 'US' },
        reason: 'YouTube search quota spent for today',
      },
      shipping: {
        status: 'not_configured',
        fetchedAt: validatedAt.toISOString(),
        measuredIn: { country: spec.country ?? 'US', currency: spec.currency ?? 'USD' },
        reason: 'the AliExpress freight API needs a dropshipping session token (ALIEXPRESS_ACCESS_TOKEN), and none is configured',
      },
    },
    economics: {
      currency: spec.currency ?? 'USD',
      itemCost: 12.5,
      shipping: { status: 'not_configured', cost: null, maxDays: 15, daysSource: 'affiliate' },
      landedCost: null,
      suggestedPrice: null,
      grossMargin: null,
      breakEvenCpa: null,
      assumptions: { markup: { low: 2.5, high: 3 }, priceCeiling: 4, paymentFeeRate: 0.029, paymentFeeFixed: 0.3 },
    },
    score: { total: score, components: { demand: 80, trend: 55.5, competition: 60, margin: 70, quality: null } },
    verdict: spec.verdict ?? 'promising',
    confidence: 0.8333333333333334,
    reasons: [{ code: 'HIGH_SALES_VELOCITY', effect: 'positive', message: '2,431 orders in the last 30 days' }],
    gates: [],
    scoringVersion: spec.scoringVersion ?? '2025.1',
    validatedAt: validatedAt.toISOString(),
    expiresAt: new Date(validatedAt.getTime() + (spec.ttlMs ?? 86_400_000)).toISOString(),
  }
}

/** One in-memory PGlite, migrated, for the whole test file (it takes seconds to start). */
export async function sharedPglite(t: Teardown): Promise<PGlite> {
  const db = await openPglite('memory://')
  t.teardown(() => db.close())
  await runMigrations(await createPgliteDatabase({ db }))
  return db
}

export interface TestSchema {
  /** DATABASE_URL with this schema as the search_path of every connection */
  url: string
  name: string
  /** a pool on that schema for assertions, closed at teardown */
  admin: pg.Pool
}

/**
 * A fresh schema in the DATABASE_URL database, dropped at teardown, so test files never see each
 * other's tables. Undefined when DATABASE_URL is not set.
 */
export async function createTestSchema(t: Teardown, migrate = true): Promise<TestSchema | undefined> {
  if (!DATABASE_URL) return undefined
  const name = `test_store_${randomBytes(5).toString('hex')}`
  const url = withSearchPath(DATABASE_URL, name)
  const root = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  await root.query(`CREATE SCHEMA ${name}`)
  const admin = new pg.Pool({ connectionString: url, max: 2 })
  t.teardown(async () => {
    await admin.end()
    await root.query(`DROP SCHEMA ${name} CASCADE`)
    await root.end()
  })
  if (migrate) {
    const db = createPostgresDatabase({ url, poolMax: 1 })
    try {
      await runMigrations(db)
    } finally {
      await db.close()
    }
  }
  return { url, name, admin }
}

export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url)
  parsed.searchParams.set('options', `-c search_path=${schema}`)
  return parsed.toString()
}

export function postgresDatabase(t: Teardown, url: string, poolMax = 4): SqlDatabase {
  const db = createPostgresDatabase({ url, poolMax })
  t.teardown(() => db.close())
  return db
}

export async function countRows(db: { query: SqlDatabase['query'] }, productIds: readonly string[]): Promise<number> {
  const result = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM validations WHERE product_id = ANY($1)', [productIds])
  return result.rows[0]!.n
}
