import type { InjectOptions } from 'fastify'
import t from 'tap'
import { parseProductInput } from '../../src/validation/product-input.ts'
import { buildTestApp } from '../helper.ts'

const ID = '1005006123456781'

t.test('product input: every accepted form gives the id', async (t) => {
  for (const input of [
    ID,
    ` ${ID} `,
    '32812345678',
    `https://www.aliexpress.com/item/${ID}.html`,
    `https://www.aliexpress.com/item/${ID}.html?spm=a2g0o.home&gatewayAdapt=glo2usa`,
    `http://aliexpress.com/item/${ID}.html`,
    `https://es.aliexpress.com/item/${ID}.html`,
    `https://m.aliexpress.com/item/${ID}.html#reviews`,
    `https://www.aliexpress.us/item/${ID}.html`,
    `https://aliexpress.us/item/${ID}.html`,
    `https://m.aliexpress.com/i/${ID}.html`,
    `www.aliexpress.com/item/${ID}.html`,
    `https://www.aliexpress.com/store/product/Some-Title/123456_${ID}.html`,
  ]) {
    t.equal(parseProductInput(input), input.includes('32812345678') ? '32812345678' : ID, input)
  }
})

t.test('product input: other hosts, lookalikes and junk are rejected', async (t) => {
  for (const input of [
    '',
    'abc',
    '0123456',
    '123',
    '1'.repeat(21),
    `https://www.amazon.com/item/${ID}.html`,
    `https://aliexpress.com.evil.example/item/${ID}.html`,
    `https://evilaliexpress.com/item/${ID}.html`,
    `https://www.aliexpress.com@evil.example/item/${ID}.html`,
    `https://user:pw@www.aliexpress.com/item/${ID}.html`,
    `https://www.aliexpress.com:8443/item/${ID}.html`,
    `ftp://www.aliexpress.com/item/${ID}.html`,
    `javascript:alert(1)//www.aliexpress.com/item/${ID}.html`,
    `https://www.aliexpress.com/item/notanid.html`,
    `https://www.aliexpress.com/category/${ID}.html`,
    `https://s.click.aliexpress.com/e/_abc`,
    `https://www.aliexpress.ru/item/${ID}.html`,
  ]) {
    t.throws(() => parseProductInput(input), { code: 'INVALID_PRODUCT' }, input)
  }
})

t.test('bad requests: a 4xx in the error shape, nothing called, nothing cached', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  const cases: { name: string; status: number; req: InjectOptions }[] = [
    { name: 'non-numeric id', status: 400, req: { url: '/api/v1/products/abc/validation' } },
    { name: 'bad country', status: 400, req: { url: `/api/v1/products/${ID}/validation?country=USA` } },
    { name: 'unsupported currency', status: 400, req: { url: `/api/v1/products/${ID}/validation?currency=XYZ` } },
    { name: 'unknown query field', status: 400, req: { url: `/api/v1/products/${ID}/validation?debug=1` } },
    { name: 'URL of another host', status: 400, req: { method: 'POST', url: '/api/v1/validations', payload: { product: `https://www.amazon.com/item/${ID}.html` } } },
    { name: 'lookalike host', status: 400, req: { method: 'POST', url: '/api/v1/validations', payload: { product: `https://aliexpress.com.evil.example/item/${ID}.html` } } },
    { name: 'missing product', status: 400, req: { method: 'POST', url: '/api/v1/validations', payload: {} } },
    { name: 'number instead of string', status: 400, req: { method: 'POST', url: '/api/v1/validations', payload: { product: 1005006123456781 } } },
    { name: 'extra field', status: 400, req: { method: 'POST', url: '/api/v1/validations', payload: { product: ID, admin: true } } },
    {
      name: 'malformed JSON',
      status: 400,
      req: { method: 'POST', url: '/api/v1/validations', headers: { 'content-type': 'application/json' }, payload: '{"product": "1005' },
    },
    {
      name: 'prototype pollution',
      status: 400,
      req: { method: 'POST', url: '/api/v1/validations', headers: { 'content-type': 'application/json' }, payload: `{"product":"${ID}","__proto__":{"admin":true}}` },
    },
    {
      name: 'constructor pollution',
      status: 400,
      req: { method: 'POST', url: '/api/v1/validations', headers: { 'content-type': 'application/json' }, payload: `{"product":"${ID}","constructor":{"prototype":{"admin":true}}}` },
    },
    { name: 'wrong content type', status: 415, req: { method: 'POST', url: '/api/v1/validations', headers: { 'content-type': 'text/plain' }, payload: ID } },
    {
      name: 'odd content type',
      status: 415,
      req: { method: 'POST', url: '/api/v1/validations', headers: { 'content-type': 'application/jsonx' }, payload: `{"product":"${ID}"}` },
    },
    {
      name: 'oversize body',
      status: 413,
      req: { method: 'POST', url: '/api/v1/validations', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ product: ID, pad: 'x'.repeat(200_000) }) },
    },
    { name: 'empty batch', status: 400, req: { method: 'POST', url: '/api/v1/validations/batch', payload: { products: [] } } },
    { name: 'unknown route', status: 404, req: { url: '/api/v1/nothing' } },
    { name: 'search without q', status: 400, req: { url: '/api/v1/products/search' } },
    { name: 'search page size too big', status: 400, req: { url: '/api/v1/products/search?q=lamp&pageSize=500' } },
  ]
  for (const c of cases) {
    const res = await app.inject(c.req)
    t.equal(res.statusCode, c.status, `${c.name}: ${res.body}`)
    const body = res.json()
    t.type(body.error?.code, 'string', `${c.name}: error code`)
    t.type(body.error?.message, 'string', `${c.name}: error message`)
    t.notMatch(res.body, /"stack"|at \w+ \(/, `${c.name}: no stack trace`)
  }
  t.equal(sandbox.totalCalls(), 0, 'nothing called upstream')
  t.equal(app.cacheStore.size(), 0, 'nothing cached')
  t.equal(({} as Record<string, unknown>).admin, undefined, 'prototype untouched')
})

t.test('an enum error names the allowed values, once; a search MISS says how long AliExpress took', async (t) => {
  const { app } = await buildTestApp(t)
  const sort = await app.inject({ url: '/api/v1/products/search?q=lamp&sort=CHEAPEST' })
  t.equal(sort.statusCode, 400)
  t.same(sort.json().error.details, [{ field: 'querystring.sort', message: 'must be one of SALE_PRICE_ASC, SALE_PRICE_DESC, LAST_VOLUME_ASC, LAST_VOLUME_DESC' }])
  const currency = await app.inject({ url: `/api/v1/products/${ID}/validation?currency=XYZ` })
  t.match(currency.json().error.message, /must be one of USD, GBP, CAD, EUR/)
  const miss = await app.inject({ url: '/api/v1/products/search?q=desk%20lamp' })
  t.equal(miss.headers['x-cache'], 'MISS')
  t.match(miss.headers['server-timing'], /^aliexpress;dur=\d+(\.\d)?$/)
})
