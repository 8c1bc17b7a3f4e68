import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { catalogueProduct, sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { freightOptions, freightProfileOf } from '../../src/sandbox/catalogue-freight.ts'
import { withSandbox } from '../../src/sandbox/index.ts'
import type { Validation } from '../../src/schemas/validation.ts'
import { buildTestApp, startTestSandbox, testConfig } from '../helper.ts'

// Landed cost through the API: shipping from the sandbox's freight API in the validation's economics,
// signals and reasons; and what a deployment without a dropshipping session token answers.

function cheapWithProfile(profile: 'free' | 'heavy'): string {
  for (let n = 0; ; n++) {
    const id = sandboxIdOfKind('strong', n)
    if (freightProfileOf(id) === profile && catalogueProduct(id)!.salePriceUsd < 10) return id
  }
}

t.test('a product that ships for several times its price: the landed cost says so, and shipping is cached per product and market', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const id = cheapWithProfile('heavy')
  const product = catalogueProduct(id)!
  const shipping = freightOptions(product, 'US')[0]!
  const v = (await app.inject({ url: `/api/v1/products/${id}/validation` })).json() as Validation
  t.ok(shipping.costUsd >= 2.5 * product.salePriceUsd, `$${shipping.costUsd} to ship a $${product.salePriceUsd} item`)
  t.match(v.signals.shipping, { status: 'ok', measuredIn: { country: 'US', currency: 'USD' }, data: { cost: shipping.costUsd, currency: 'USD' } })
  t.match(v.economics, {
    currency: 'USD',
    itemCost: product.salePriceUsd,
    shipping: { status: 'ok', cost: shipping.costUsd, carrier: shipping.company, maxDays: shipping.maxDays, daysSource: 'freight' },
    landedCost: Math.round((product.salePriceUsd + shipping.costUsd) * 100) / 100,
  })
  t.ok(v.economics.suggestedPrice!.high <= 4 * product.salePriceUsd + 0.01, 'the price is capped at 4x the item cost')
  t.ok(v.economics.breakEvenCpa! < 0, `nothing left for ads: ${v.economics.breakEvenCpa}`)
  t.match(v.reasons.find((r) => r.code === 'THIN_MARGIN'), { effect: 'negative', message: /^landed cost \$[\d.]+ \(\$[\d.]+ item \+ \$[\d.]+ shipping to US\)/ })
  t.ok(v.score.components.margin! <= 30, `margin ${v.score.components.margin}: only the price point is left`)

  const free = (await app.inject({ url: `/api/v1/products/${cheapWithProfile('free')}/validation` })).json() as Validation
  t.match(free.economics, { shipping: { status: 'ok', cost: 0 } })
  t.ok(free.score.components.margin! > v.score.components.margin!, 'a free-shipping product of the same price range scores higher on margin')

  const dsCalls = sandbox.aliexpress.calls.get('aliexpress.ds.freight.query')
  t.equal(dsCalls, 2)
  const again = await app.inject({ url: `/api/v1/products/${id}/validation?keywords=storage+rack` })
  t.equal(again.statusCode, 200)
  t.equal(sandbox.aliexpress.calls.get('aliexpress.ds.freight.query'), dsCalls, 'another validation of the product reuses the cached shipping')
})

t.test('without a dropshipping session token: shipping not_configured, nothing asked, and the score cannot gain from it', async (t) => {
  const sandbox = await startTestSandbox(t)
  const config = withSandbox(testConfig(), sandbox)
  const app = await buildApp({ ...config, aliexpress: { ...config.aliexpress, accessToken: undefined } })
  t.teardown(() => app.close())
  const withToken = await buildTestApp(t, { sandbox })
  const id = cheapWithProfile('free')
  const v = (await app.inject({ url: `/api/v1/products/${id}/validation` })).json() as Validation
  t.equal(sandbox.aliexpress.calls.get('aliexpress.ds.product.get'), undefined, 'no dropshipping call')
  t.match(v.signals.shipping, { status: 'not_configured', reason: /ALIEXPRESS_ACCESS_TOKEN/ })
  t.match(v.economics, { itemCost: Number, shipping: { status: 'not_configured', cost: null, daysSource: 'affiliate' }, landedCost: null, grossMargin: null })
  t.match(v.reasons.find((r) => r.code === 'SHIPPING_UNKNOWN'), { effect: 'negative', message: /^shipping cost to US unknown \(not_configured: .*ALIEXPRESS_ACCESS_TOKEN/ })
  t.match(v.reasons.find((r) => r.code === 'DELIVERY_ESTIMATE'), { message: /^AliExpress estimates delivery to US in \d+ days$/ })

  const known = (await withToken.app.inject({ url: `/api/v1/products/${id}/validation` })).json() as Validation
  t.equal(known.economics.shipping.cost, 0)
  t.ok(v.confidence < known.confidence, `confidence ${v.confidence} < ${known.confidence}`)
  t.ok(v.score.total! <= known.score.total!, `total ${v.score.total} <= ${known.score.total} with free shipping known`)
})
