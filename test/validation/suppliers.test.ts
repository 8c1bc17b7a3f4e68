import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import t from 'tap'
import { createCache } from '../../src/cache/cache.ts'
import { createMemoryStore } from '../../src/cache/stores.ts'
import { DEFAULT_WEIGHTS } from '../../src/config.ts'
import { parseProductDetailBody, parseProductQueryBody } from '../../src/sources/aliexpress/parse.ts'
import { matchListing, reference } from '../../src/validation/matching.ts'
import { createValidationService } from '../../src/validation/service.ts'
import type { AliexpressProduct, AliexpressSource, ProductSearch, SourceFailure } from '../../src/validation/sources.ts'
import { compareSuppliers, PICK_RULE } from '../../src/validation/suppliers.ts'

// Supplier matching on recorded AliExpress answers in the affiliate API's wire shape
// (test/fixtures/aliexpress/suppliers-*.json), parsed by the real parser and answered through the
// service, then as properties over generated listings.

const US = { country: 'US', currency: 'USD' }
const fixture = (name: string) => readFileSync(new URL(`../fixtures/aliexpress/${name}`, import.meta.url), 'utf8')

const parsedDetail = parseProductDetailBody(fixture('suppliers-productdetail.json'))
const page = parseProductQueryBody(fixture('suppliers-product-query.json'), 1, 50)
if (parsedDetail.status !== 'ok' || page.status !== 'ok') throw new Error('the fixtures no longer parse')
const detail = parsedDetail
const PRODUCT_ID = '1005006871234561'

const notConfigured: SourceFailure = { status: 'not_configured', reason: 'not used here' }
const idle = { state: async () => ({ circuit: 'closed' as const, budgets: [] }) }

function recordedAliexpress(searches: ProductSearch[]): AliexpressSource {
  return {
    ...idle,
    getProducts: async (ids) => ({ status: 'ok', data: new Map([...detail.data].filter(([id]) => ids.includes(id))) }),
    searchProducts: async (search) => {
      searches.push(search)
      return page
    },
    freight: async () => notConfigured,
  }
}

t.test('recorded answers: the same product is matched, other products and bait prices never picked', async (t) => {
  const searches: ProductSearch[] = []
  const service = createValidationService({
    aliexpress: recordedAliexpress(searches),
    facebook: { ...idle, adStats: async () => notConfigured },
    youtube: { ...idle, videoStats: async () => notConfigured, quota: async () => ({ searchesLeft: 0, unitsLeft: 0, resetsAt: '' }) },
    cache: createCache({ store: createMemoryStore(1_000_000).keyv, staleGraceMs: 0 }),
    weights: DEFAULT_WEIGHTS,
    ttl: { validationMs: 60_000, searchMs: 60_000, suppliersMs: 60_000 },
    facebookCountries: ['DE'],
    sandbox: false,
    deadlineMs: 2_000,
  })
  const { value: answer } = await service.suppliers(service.suppliersRequest({ productId: PRODUCT_ID, market: US }))
  t.equal(searches[0]?.keywords, 'wireless charger', 'the search asks for the head of the title')

  const ids = (list: { productId: string }[]) => list.map((s) => s.productId).sort()
  t.same(ids(answer.suppliers), ['1005006912345672', '1005007023456783', '1005008223344557', '1005008334455668'], 'the same product')
  t.same(ids(answer.alternatives), ['1005004455667785', '1005005998877664', '1005008112233446', '1005426389142148'], 'the rest')

  const relisting = answer.suppliers.find((s) => s.productId === '1005006912345672')!
  t.match(relisting.match, { titleSimilarity: 0.8, similarity: 0.8, sameCategory: true, sameImage: false, priceRatio: 0.827 }, 'a reworded relisting is matched')
  const samePhoto = answer.suppliers.find((s) => s.productId === '1005007023456783')!
  t.match(samePhoto.match, { sameImage: true, similarity: 1 }, 'a rewritten title with the same listing photo is matched by the photo')
  t.ok(samePhoto.match.titleSimilarity < 0.6)

  const bait = answer.alternatives.find((s) => s.productId === '1005426389142148')!
  t.match(bait, { price: { sale: 0.41 }, positiveFeedbackRate: 83.4 })
  t.same(bait.mismatch, ["price 2% of the product's, outside 40%-250%"], 'the $0.41 bait is not the same product')
  const holder = answer.alternatives.find((s) => s.productId === '1005005998877664')!
  t.same(holder.mismatch, ['title similarity 0.30 is under 0.6'], 'a car holder with a charger is another product, whatever its price')
  const lamp = answer.alternatives.find((s) => s.productId === '1005008112233446')!
  t.same(lamp.mismatch, ['another category (39, not 509)'])

  t.equal(answer.cheapest, '1005006912345672', 'the cheapest trusted listing of the same product ($14.20)')
  for (const other of ['1005426389142148', '1005004455667785', '1005005998877664']) {
    t.not(answer.cheapest, other, `${other}, a cheaper different product or bait, is not the cheapest`)
  }
  t.not(answer.cheapest, '1005008223344557', 'nor the $9.80 same product from a shop with 86.5% feedback')
  t.not(answer.cheapest, '1005008334455668', 'nor the $12.90 one with no orders')
  t.equal(answer.mostOrders, '1005007023456783')
  t.equal(answer.bestFeedback, '1005007023456783')
})

// ---------------------------------------------------------------------------------------------------
// Properties over generated listings.

const base = [...detail.data.values()][0]!
const nouns = ['charger', 'lamp', 'holder', 'sticker', 'cable', 'case', 'stand', 'speaker', 'mat', 'bag']
const listing = fc
  .record({
    id: fc.integer({ min: 1, max: 1e9 }),
    words: fc.array(fc.constantFrom('wireless', 'charger', 'iphone', 'airpods', 'watch', 'stand', 'fast', ...nouns), { minLength: 1, maxLength: 8 }),
    sale: fc.double({ min: 0.05, max: 80, noNaN: true }),
    feedback: fc.option(fc.double({ min: 70, max: 100, noNaN: true }), { nil: undefined }),
    orders: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
    category: fc.constantFrom('509', '509', '509', '39', undefined),
  })
  .map(
    ({ id, words, sale, feedback, orders, category }): AliexpressProduct => ({
      productId: String(1005000000000000 + id),
      title: words.join(' '),
      url: 'https://www.aliexpress.com/item/1.html',
      price: { sale: Math.round(sale * 100) / 100, currency: 'USD' },
      positiveFeedbackRate: feedback,
      ordersLast30Days: orders,
      firstLevelCategoryId: category,
      shop: { id: String(id) },
    }),
  )

t.test('the picks are always trusted listings of the same product', (t) => {
  const details = fc.check(
    fc.property(fc.array(listing, { maxLength: 30 }), (found) => {
      const answer = compareSuppliers(base, 'wireless charger', US, found)
      const ref = reference(base)
      const trusted = answer.suppliers.filter(
        (s) => (s.positiveFeedbackRate ?? 0) >= PICK_RULE.minPositiveFeedback && (s.ordersLast30Days ?? 0) >= PICK_RULE.minOrders,
      )
      const cheapest = trusted.find((s) => s.productId === answer.cheapest)
      if (trusted.length === 0) return answer.cheapest === undefined && answer.mostOrders === undefined && answer.bestFeedback === undefined
      return (
        cheapest !== undefined &&
        trusted.every((s) => s.price.sale! >= cheapest.price.sale!) &&
        answer.suppliers.every((s) => matchListing(ref, s).matched) &&
        answer.alternatives.every((s) => !matchListing(ref, s).matched)
      )
    }),
    { numRuns: 300 },
  )
  t.notOk(details.failed, details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : 'picks among trusted suppliers')
  t.end()
})

t.test('a listing priced outside the band, or in another category, is never the same product', (t) => {
  const details = fc.check(
    fc.property(listing, fc.constantFrom(0.01, 0.39, 2.51, 10), (candidate, ratio) => {
      const priced = { ...candidate, title: base.title, price: { sale: base.price.sale! * ratio, currency: 'USD' } }
      const elsewhere = { ...candidate, title: base.title, firstLevelCategoryId: '39' }
      const ref = reference(base)
      return !matchListing(ref, priced).matched && !matchListing(ref, elsewhere).matched
    }),
    { numRuns: 200 },
  )
  t.notOk(details.failed, details.failed ? (fc.defaultReportMessage(details) ?? 'failed') : 'price band and category gate')
  t.end()
})
