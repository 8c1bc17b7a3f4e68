import fc from 'fast-check'
import t from 'tap'
import { DEFAULT_WEIGHTS } from '../../src/config.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import type { Validation } from '../../src/schemas/validation.ts'
import { assembleValidation } from '../../src/validation/assemble.ts'
import type { AliexpressProduct, FacebookAdStats, SourceResult } from '../../src/validation/sources.ts'
import { buildTestApp } from '../helper.ts'

// Every signal says where it was measured, and the reasons say so when Meta's ad counts come from
// other countries than the market asked about.

const product: AliexpressProduct = {
  productId: '1005006123456789',
  title: 'LED Strip Lights Bluetooth',
  url: 'https://www.aliexpress.com/item/1005006123456789.html',
  price: { sale: 12.5, currency: 'USD' },
  ordersLast30Days: 900,
  positiveFeedbackRate: 96,
  shop: {},
}
const ads: FacebookAdStats = { activeAds: 40, advertisers: 12, medianAdAgeDays: 20, longestRunningAdDays: 90, newAdsLast7Days: 4, truncated: false }
const country = fc.constantFrom('US', 'DE', 'FR', 'GB', 'BR', 'ES')

t.test('the ad-market reason appears exactly when ad data was measured elsewhere', (t) => {
  const details = fc.check(
    fc.property(country, fc.uniqueArray(country, { minLength: 1, maxLength: 5 }), fc.boolean(), (market, countries, adsOk) => {
      const facebook: SourceResult<FacebookAdStats> = adsOk ? { status: 'ok', data: ads } : { status: 'unavailable', reason: 'down' }
      const v = assembleValidation(
        {
          product,
          productFetchedAt: 0,
          keywords: 'led strip lights',
          facebook: { result: facebook, fetchedAt: 0 },
          youtube: { result: { status: 'not_configured', reason: 'no key' }, fetchedAt: 0 },
          shipping: { result: { status: 'not_configured', reason: 'no session' }, fetchedAt: 0 },
        },
        { market: { country: market, currency: 'USD' }, facebookCountries: countries, weights: DEFAULT_WEIGHTS, sandbox: false, at: new Date(0), ttlMs: 1000 },
      )
      const codes = v.reasons.map((r) => r.code)
      const elsewhere = adsOk && !countries.includes(market)
      const mixed = adsOk && countries.includes(market) && countries.length > 1
      return (
        codes.includes('AD_DATA_FROM_OTHER_MARKETS') === elsewhere &&
        codes.includes('AD_DATA_INCLUDES_OTHER_MARKETS') === mixed &&
        JSON.stringify(v.signals.facebook.measuredIn) === JSON.stringify({ countries }) &&
        v.signals.youtube.measuredIn.regionCode === market &&
        v.signals.aliexpress.measuredIn.country === market
      )
    }),
    { numRuns: 300 },
  )
  t.notOk(details.failed, details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : 'reason iff measured elsewhere')
  t.end()
})

t.test('every US validation with EU ad data says so, single and batch', async (t) => {
  const { app, config } = await buildTestApp(t)
  t.same(config.facebook.adCountries, ['DE', 'FR', 'ES', 'IT', 'NL'], 'the default ad countries')
  const ids = [0, 1, 2, 3, 4, 5].map((n) => sandboxIdOfKind(n % 2 === 0 ? 'strong' : 'weak', 700 + n))
  const single = await app.inject({ url: `/api/v1/products/${ids[0]}/validation` })
  const batch = await app.inject({ method: 'POST', url: '/api/v1/validations/batch', payload: { products: ids.slice(1) } })
  t.equal(batch.statusCode, 200, batch.body)
  const all: Validation[] = [single.json(), ...batch.json().results.map((r: { validation: Validation }) => r.validation)]
  t.equal(all.length, 6)
  for (const v of all) {
    t.equal(v.market.country, 'US')
    t.equal(v.signals.facebook.status, 'ok')
    t.same(v.signals.facebook.measuredIn, { countries: ['DE', 'FR', 'ES', 'IT', 'NL'] })
    t.same(v.signals.youtube.measuredIn, { regionCode: 'US' })
    t.same(v.signals.aliexpress.measuredIn, { country: 'US', currency: 'USD' })
    const reason = v.reasons.find((r) => r.code === 'AD_DATA_FROM_OTHER_MARKETS')
    t.match(reason, { effect: 'neutral', message: /^Facebook ad counts come from DE, FR, ES, IT and NL, not US/ }, v.productId)
  }
  const de = (await app.inject({ url: `/api/v1/products/${ids[0]}/validation?country=DE&currency=EUR` })).json() as Validation
  t.notOk(de.reasons.some((r) => r.code === 'AD_DATA_FROM_OTHER_MARKETS'))
  t.match(
    de.reasons.find((r) => r.code === 'AD_DATA_INCLUDES_OTHER_MARKETS'),
    { message: 'Facebook ad counts cover DE, FR, ES, IT and NL together, not DE alone' },
  )
})
