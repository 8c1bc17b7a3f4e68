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

const COUNT = Number(process.argv[2] ?? 20_000)

function validation(i: number): Validation {
  const validatedAt = new Date(Date.now() - i * 1000)
  const at = validatedAt.toISOString()
  return {
    productId: `1005${randomInt(1e11, 1e12 - 1)}${i % 10}`,
    market: { country: 'US', currency: 'USD' },
    product: {
      title: 'LED Strip Lights Bluetooth 10m RGB Smart Music Sync',
      url: 'https://www.aliexpress.com/item/1005006123456789.html',
      imageUrl: 'https://ae01.alicdn.com/kf/S1.jpg',
      category: 'Lights & Lighting',
      price: { sale: 12.5, original: 25, currency: 'USD' },
      ordersLast30Days: 2431,
      positiveFeedbackRate: 96.4,
      shop: { id: '912345678', url: 'https://www.aliexpress.com/store/912345678' },
    },
    keywords: 'led strip lights bluetooth',
    signals: {
      aliexpress: { status: 'ok', fetchedAt: at, measuredIn: { country: 'US', currency: 'USD' }, data: { salePrice: 12.5, originalPrice: 25, ordersLast30Days: 2431, positiveFeedbackRate: 96.4 } },
      facebook: {
        status: 'ok',
        fetchedAt: at,
        measuredIn: { countries: ['DE', 'FR', 'ES', 'IT', 'NL'] },
        data: { activeAds: 42, advertisers: 17, medianAdAgeDays: 21, longestRunningAdDays: 140, newAdsLast7Days: 5, truncated: false },
      },
      youtube: {
        status: 'ok',
        fetchedAt: at,
        measuredIn: { regionCode: 'US' },
        data: { videos: 50, totalViews: 1_200_000, medianViews: 8_000, topVideoViews: 400_000, videosLast30Days: 6, viewsLast30Days: 90_000 },
      },
      shipping: {
        status: 'ok',
        fetchedAt: at,
        measuredIn: { country: 'US', currency: 'USD' },
        data: { cost: 2.49, currency: 'USD', free: false, minDays: 8, maxDays: 15, carrier: 'AliExpress Standard Shipping', shipFrom: 'CN', options: 3 },
      },
    },
    economics: {
      currency: 'USD',
      itemCost: 12.5,
      shipping: { status: 'ok', cost: 2.49, carrier: 'AliExpress Standard Shipping', minDays: 8, maxDays: 15, daysSource: 'freight' },
      landedCost: 14.99,
      suggestedPrice: { low: 37.48, high: 44.97 },
      grossMargin: 0.631,
      breakEvenCpa: 28.38,
      assumptions: { markup: { low: 2.5, high: 3 }, priceCeiling: 4, paymentFeeRate: 0.029, paymentFeeFixed: 0.3 },
    },
    score: { total: 64, components: { demand: 80, trend: 55, competition: 60, margin: 70, quality: 72 } },
    verdict: 'promising',
    confidence: 1,
    reasons: [
      { code: 'HIGH_SALES_VELOCITY', effect: 'positive', message: '2,431 orders in the last 30 days' },
      { code: 'ADS_RUNNING_LONG', effect: 'positive', message: 'an ad has run for 140 days' },
    ],
    gates: [],
    scoringVersion: '2025.1',
    validatedAt: at,
    expiresAt: new Date(validatedAt.getTime() + 86_400_000).toISOString(),
  }
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
