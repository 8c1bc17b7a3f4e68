import { createHmac } from 'node:crypto'
import t from 'tap'
import { buildSignedParams, cleanParams, signParams } from '../../src/sources/aliexpress/sign.ts'

// The expected strings below are written out by hand from the documented algorithm (sorted
// name+value pairs, no separators), not produced by the code under test.
const SECRET = 'test-secret'
const BASE =
  'app_key12345' +
  'formatjson' +
  'methodaliexpress.affiliate.productdetail.get' +
  'product_ids1005001,1005002' +
  'sign_methodsha256' +
  'timestamp1700000000000'

t.test('sha256 signature over the sorted name+value string, upper-case hex', async (t) => {
  const expected = createHmac('sha256', SECRET).update(BASE, 'utf8').digest('hex').toUpperCase()
  const sign = signParams(
    {
      timestamp: '1700000000000',
      product_ids: '1005001,1005002',
      method: 'aliexpress.affiliate.productdetail.get',
      sign_method: 'sha256',
      format: 'json',
      app_key: '12345',
    },
    SECRET,
    'aliexpress.affiliate.productdetail.get',
  )
  t.equal(sign, expected)
  // Computed once with `openssl dgst -sha256 -hmac test-secret` over BASE.
  t.equal(sign, '1805B3F7E45FF53D7850D92B169A1CEF4C07E4B9957962444735078F8378B5CC')
  t.match(sign, /^[0-9A-F]{64}$/)
})

t.test('empty, null and undefined params and `sign` itself are left out of the signed string', async (t) => {
  const withNoise = signParams(
    {
      app_key: '12345',
      format: 'json',
      method: 'aliexpress.affiliate.productdetail.get',
      product_ids: '1005001,1005002',
      sign_method: 'sha256',
      timestamp: '1700000000000',
      tracking_id: '',
      fields: undefined,
      country: null,
      sign: 'OLD',
    },
    SECRET,
  )
  t.equal(withNoise, '1805B3F7E45FF53D7850D92B169A1CEF4C07E4B9957962444735078F8378B5CC')
  t.same(cleanParams({ a: '', b: undefined, c: null, d: 0, e: 'x', f: false }), { d: '0', e: 'x', f: 'false' })
})

t.test('plain ASCII order: upper case before lower case, underscore before letters', async (t) => {
  const expected = createHmac('sha256', SECRET).update('Zeta1a_b2ab3alpha4', 'utf8').digest('hex').toUpperCase()
  t.equal(signParams({ alpha: '4', ab: '3', a_b: '2', Zeta: '1' }, SECRET), expected)
})

t.test('the API path is prepended only when the method name contains a slash', async (t) => {
  const params = { app_key: '12345', code: 'abc' }
  const withPath = createHmac('sha256', SECRET).update('/auth/token/createapp_key12345codeabc').digest('hex').toUpperCase()
  const withoutPath = createHmac('sha256', SECRET).update('app_key12345codeabc').digest('hex').toUpperCase()
  t.equal(signParams(params, SECRET, '/auth/token/create'), withPath)
  t.equal(signParams(params, SECRET, 'aliexpress.affiliate.product.query'), withoutPath)
})

t.test('buildSignedParams gives the full form with system params, epoch-ms timestamp and the signature', async (t) => {
  const form = buildSignedParams({
    method: 'aliexpress.affiliate.productdetail.get',
    appKey: '12345',
    appSecret: SECRET,
    params: { product_ids: '1005001,1005002', tracking_id: undefined, fields: '' },
    now: 1_700_000_000_000,
  })
  t.same(form, {
    app_key: '12345',
    method: 'aliexpress.affiliate.productdetail.get',
    timestamp: '1700000000000',
    sign_method: 'sha256',
    format: 'json',
    product_ids: '1005001,1005002',
    sign: '1805B3F7E45FF53D7850D92B169A1CEF4C07E4B9957962444735078F8378B5CC',
  })
  t.notOk('tracking_id' in form, 'empty params are not sent either')
  t.notOk('app_secret' in form, 'the secret never travels')
})
