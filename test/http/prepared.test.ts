import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import t from 'tap'
import { createPreparedCache, matchesEtag, negotiateEncoding, prepareBody } from '../../src/http/prepared.ts'

t.test('prepared bodies: exact buffers that decode to the JSON, one ETag per encoding', async (t) => {
  const json = JSON.stringify({ hello: 'world', n: 'x'.repeat(3000) })
  const body = prepareBody(json, { storedAt: 1_000, freshUntil: 2_000, staleUntil: 3_000 })
  t.equal(body.identity.toString(), json)
  t.equal(gunzipSync(body.gzip).toString(), json)
  t.equal(brotliDecompressSync(body.br).toString(), json)
  for (const buf of [body.identity, body.gzip, body.br]) {
    // A pooled slice or a zlib chunk slice would keep a larger ArrayBuffer alive than the cache counts.
    t.equal(buf.buffer.byteLength, buf.length, 'owns exactly its bytes')
  }
  t.not(body.etags.identity, body.etags.gzip)
  t.not(body.etags.gzip, body.etags.br)
  t.equal(prepareBody(json, { storedAt: 5, freshUntil: 6, staleUntil: 7 }).etags.identity, body.etags.identity, 'same bytes, same ETag')
})

t.test('encoding negotiation and If-None-Match', async (t) => {
  t.equal(negotiateEncoding(undefined), 'identity')
  t.equal(negotiateEncoding('gzip, deflate, br'), 'br')
  t.equal(negotiateEncoding('gzip'), 'gzip')
  t.equal(negotiateEncoding('br;q=0, gzip'), 'gzip')
  t.equal(negotiateEncoding('*'), 'br')
  t.equal(negotiateEncoding('identity'), 'identity')
  const body = prepareBody('{}', { storedAt: 1, freshUntil: 2, staleUntil: 3 })
  t.ok(matchesEtag('*', body))
  t.ok(matchesEtag(`W/${body.etags.br}`, body))
  t.notOk(matchesEtag('"other"', body))
})

t.test('the prepared cache is bounded by bytes', async (t) => {
  const cache = createPreparedCache(200_000)
  for (let i = 0; i < 500; i++) cache.set(`k${i}`, prepareBody(JSON.stringify({ i, pad: 'y'.repeat(2000) }), { storedAt: 1, freshUntil: 2, staleUntil: 3 }))
  t.ok(cache.calculatedSize <= 200_000)
  t.ok(cache.has('k499'))
  t.notOk(cache.has('k0'))
})
