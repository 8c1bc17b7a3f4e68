import { readFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { createAliexpressSandbox } from '../../src/sandbox/aliexpress.ts'
import { catalogueProduct, priceIn, sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { freightOptions, freightProfileOf } from '../../src/sandbox/catalogue-freight.ts'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import { type AliexpressClientOptions, createAliexpressClient } from '../../src/sources/aliexpress/client.ts'
import { parseFreight, parseSku } from '../../src/sources/aliexpress/freight.ts'
import type { Market } from '../../src/validation/sources.ts'

// Shipping cost and delivery days from the dropshipping freight API: the client against the sandbox
// (signature- and session-checked, real wire format), and the parser on recorded answers.

const CREDS = SANDBOX_CREDENTIALS.aliexpress
const US: Market = { country: 'US', currency: 'USD' }
const DE: Market = { country: 'DE', currency: 'EUR' }
const fixture = (name: string) => readFileSync(new URL(`../fixtures/aliexpress/${name}`, import.meta.url), 'utf8')

async function setup(t: Test, client: Partial<AliexpressClientOptions> = {}) {
  const sandbox = await createAliexpressSandbox({ behaviour: { latencyMs: 1, jitterMs: 0 } })
  const aliexpress = createAliexpressClient({ apiUrl: sandbox.url, ...CREDS, timeoutMs: 2_000, ...client })
  t.teardown(async () => {
    await aliexpress.close()
    await sandbox.close()
  })
  return { sandbox, aliexpress }
}

/** The first catalogue products of a kind with that freight profile. */
function withProfile(profile: 'free' | 'paid' | 'heavy', count = 3): string[] {
  const ids: string[] = []
  for (let n = 0; ids.length < count; n++) {
    const id = sandboxIdOfKind('strong', n)
    if (freightProfileOf(id) === profile) ids.push(id)
  }
  return ids
}

t.test('the cheapest usable option to the market, in its currency, from two signed DS calls', async (t) => {
  const { sandbox, aliexpress } = await setup(t)
  for (const profile of ['free', 'paid', 'heavy'] as const) {
    for (const id of withProfile(profile)) {
      for (const market of [US, DE]) {
        const product = catalogueProduct(id)!
        const cheapest = freightOptions(product, market.country)[0]!
        const result = await aliexpress.freight(id, market)
        t.same(
          result,
          {
            status: 'ok',
            data: {
              cost: priceIn(cheapest.costUsd, market.currency).amount,
              currency: market.currency,
              free: cheapest.costUsd === 0,
              minDays: cheapest.minDays,
              maxDays: cheapest.maxDays,
              carrier: cheapest.company,
              shipFrom: 'CN',
              options: freightOptions(product, market.country).length,
            },
          },
          `${profile} ${id} to ${market.country}`,
        )
      }
    }
  }
  t.equal(sandbox.calls.get('aliexpress.ds.product.get'), 18)
  t.equal(sandbox.calls.get('aliexpress.ds.freight.query'), 18, 'the 17-digit SKU id reached the freight query intact')
})

t.test('some products ship for several times their price', async (t) => {
  const { aliexpress } = await setup(t)
  for (const id of withProfile('heavy', 5)) {
    const product = catalogueProduct(id)!
    const result = await aliexpress.freight(id, US)
    if (result.status !== 'ok') throw new Error(result.reason)
    t.ok(result.data.cost >= 6 && result.data.cost >= Math.min(25, product.salePriceUsd * 2.5) - 0.01, `${id}: $${result.data.cost} to ship a $${product.salePriceUsd} item`)
  }
  const cheapHeavy = withProfile('heavy', 40).map((id) => catalogueProduct(id)!).find((p) => p.salePriceUsd < 8)
  t.ok(cheapHeavy, 'a cheap bulky product exists')
  const quote = await aliexpress.freight(cheapHeavy!.productId, US)
  t.ok(quote.status === 'ok' && quote.data.cost >= 2.5 * cheapHeavy!.salePriceUsd, 'shipping is at least 2.5 times its price')
})

t.test('without a session token: not_configured, and nothing is sent', async (t) => {
  const { sandbox, aliexpress } = await setup(t, { accessToken: undefined })
  const result = await aliexpress.freight(sandboxIdOfKind('strong', 1), US)
  t.match(result, { status: 'not_configured', reason: /ALIEXPRESS_ACCESS_TOKEN/ })
  t.equal(sandbox.totalCalls(), 0)
})

t.test('a session token the platform refuses is not_configured, and the token never appears', async (t) => {
  const token = 'wrong-session-token-0123456789'
  const { aliexpress } = await setup(t, { accessToken: token })
  const result = await aliexpress.freight(sandboxIdOfKind('strong', 1), US)
  t.match(result, { status: 'not_configured', reason: /IllegalAccessToken/ })
  t.notMatch(JSON.stringify(result), token)
})

t.test('no delivery to the country, or an unknown product: not_found', async (t) => {
  const { aliexpress } = await setup(t)
  t.match(await aliexpress.freight(sandboxIdOfKind('strong', 1), { country: 'KP', currency: 'USD' }), {
    status: 'not_found',
    reason: 'AliExpress does not deliver this product to KP',
  })
  t.match(await aliexpress.freight(sandboxIdOfKind('unknown', 1), US), { status: 'not_found' })
  t.match(await aliexpress.freight('not-an-id', US), { status: 'not_found' })
})

t.test('recorded answers: the in-stock SKU, fees checked against their formatted text', async (t) => {
  t.same(parseSku(fixture('ds-product-get.json')), { status: 'ok', data: '12000038412345689' }, 'the sold-out first SKU is skipped; 17 digits kept')
  t.same(parseFreight(fixture('ds-freight-query.json'), US), {
    status: 'ok',
    data: { cost: 2.49, currency: 'USD', free: false, minDays: 8, maxDays: 15, carrier: 'AliExpress Standard Shipping', shipFrom: 'CN', options: 2 },
  })
  t.same(parseFreight(fixture('ds-freight-not-available.json'), US), { status: 'not_found', reason: 'AliExpress does not deliver this product to US' })
  const euro = parseFreight(fixture('ds-freight-query.json'), DE)
  t.same(euro, { status: 'ok', data: { cost: 1.5, currency: 'EUR', free: false, minDays: 10, maxDays: 18, carrier: 'EMS', shipFrom: 'CN', options: 1 } })
  const body = (options: unknown[]) => JSON.stringify({ aliexpress_ds_freight_query_response: { result: { success: 'true', code: '200', delivery_options: options } } })
  const one = (fields: Record<string, unknown>) => parseFreight(body([{ shipping_fee_currency: 'USD', ...fields }]), US)
  t.match(one({ shipping_fee_cent: '399' }), { status: 'ok', data: { cost: 3.99 } }, 'no formatted fee: cents, as documented')
  t.match(one({ shipping_fee_cent: '3.99', shipping_fee_format: 'US $3.99' }), { status: 'ok', data: { cost: 3.99 } }, 'major units when the text agrees')
  t.match(one({ shipping_fee_cent: '399', shipping_fee_format: 'US $3.99' }), { status: 'ok', data: { cost: 3.99 } }, 'cents when the text agrees')
  t.match(one({ shipping_fee_format: '€4,59', shipping_fee_currency: 'USD' }), { status: 'ok', data: { cost: 4.59 } }, 'a decimal comma')
  t.match(one({ free_shipping: 'true', shipping_fee_cent: '0' }), { status: 'ok', data: { cost: 0, free: true } })
  t.match(one({ shipping_fee_cent: '5', shipping_fee_format: 'US $4.99' }), { status: 'not_found' }, 'a fee nobody can read is left out')
  t.match(parseFreight(body([]), US), { status: 'not_found' })
  t.match(parseFreight('{"error_response":{"code":"ApiCallLimit","msg":"App Call Limited"}}', US), { status: 'rate_limited' })
  t.match(parseFreight('<html>', US), { status: 'unavailable' })
})
