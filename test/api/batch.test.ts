import t from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'

t.test('batch of 50 with duplicates and bad items: ordered results, per-item errors, few AliExpress calls', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const unique = Array.from({ length: 44 }, (_, i) => sandboxIdOfKind(i % 2 ? 'strong' : 'average', 100 + i))
  const products = [
    ...unique.slice(0, 20),
    unique[0]!, // duplicate id
    `https://www.aliexpress.com/item/${unique[1]}.html`, // duplicate, as a URL
    'https://www.amazon.com/dp/B000000',
    ...unique.slice(20),
    sandboxIdOfKind('unknown', 5),
    'not a product',
    unique[2]!,
  ]
  t.equal(products.length, 50)
  const res = await app.inject({ method: 'POST', url: '/api/v1/validations/batch', payload: { products } })
  t.equal(res.statusCode, 200, res.body)
  const { results, summary } = res.json()
  t.equal(results.length, 50)
  t.same(
    results.map((r: { input: string }) => r.input),
    products,
    'results in input order',
  )
  t.equal(results[20].validation.productId, unique[0])
  t.equal(results[21].validation.productId, unique[1])
  t.equal(results[22].status, 'error')
  t.equal(results[22].error.code, 'INVALID_PRODUCT')
  t.equal(results[47].error.code, 'PRODUCT_NOT_FOUND')
  t.equal(results[48].error.code, 'INVALID_PRODUCT')
  t.equal(summary.requested, 50)
  t.equal(summary.unique, 45)
  t.equal(summary.failed, 3)
  const details = sandbox.aliexpress.calls.get('productdetail.get') ?? 0
  t.ok(details <= 3, `AliExpress productdetail.get called ${details} times for 45 ids`)

  const again = await app.inject({ method: 'POST', url: '/api/v1/validations/batch', payload: { products: unique.slice(0, 10) } })
  t.equal(again.json().summary.fromCache, 10, 'a repeated batch is served from cache')
})

t.test('51 items is a 400 in the error shape', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const products = Array.from({ length: 51 }, (_, i) => sandboxIdOfKind('strong', i))
  const res = await app.inject({ method: 'POST', url: '/api/v1/validations/batch', payload: { products } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'INVALID_REQUEST')
  t.equal(sandbox.totalCalls(), 0)
})

t.test('NDJSON: one line per result, then the summary', async (t) => {
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as { port: number }
  const products = [sandboxIdOfKind('strong', 60), 'nope', sandboxIdOfKind('weak', 61)]
  const res = await fetch(`http://127.0.0.1:${address.port}/api/v1/validations/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/x-ndjson', 'accept-encoding': 'gzip, br' },
    body: JSON.stringify({ products }),
  })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /application\/x-ndjson/)
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l))
  t.equal(lines.length, 4)
  t.same(lines.slice(0, 3).map((l) => l.index).sort(), [0, 1, 2])
  t.equal(lines.find((l) => l.index === 1).status, 'error')
  t.equal(lines[3].summary.requested, 3)
})
