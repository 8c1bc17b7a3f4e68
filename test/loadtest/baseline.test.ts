import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { freePort, spawnNode } from '../../loadtest/processes.ts'

// The bare Fastify baseline serves the given bytes, with only a content type, or with the given
// headers and a request id (the "same response on the wire" baseline of bench:instructions).
t.test('the baseline sends the given bytes, and the given headers when asked', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dropforge-baseline-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const body = JSON.stringify({ productId: '1005001', score: 72 })
  const headers = { 'content-type': 'application/json; charset=utf-8', 'x-cache': 'HIT', etag: '"abc"', vary: 'Origin, Accept-Encoding' }
  await writeFile(join(dir, 'body.json'), body)
  await writeFile(join(dir, 'headers.json'), JSON.stringify(headers))

  const plain = await spawnNode({ script: 'loadtest/baseline.ts', port: await freePort(), env: { BASELINE_BODY_FILE: join(dir, 'body.json') } })
  t.teardown(() => plain.stop())
  const withHeaders = await spawnNode({
    script: 'loadtest/baseline.ts',
    port: await freePort(),
    env: { BASELINE_BODY_FILE: join(dir, 'body.json'), BASELINE_HEADERS_FILE: join(dir, 'headers.json') },
  })
  t.teardown(() => withHeaders.stop())

  const a = await fetch(`${plain.url}/api/v1/products/1005001/validation`)
  t.equal(await a.text(), body)
  t.equal(a.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(a.headers.get('x-cache'), null, 'no headers beyond the content type')
  t.equal(a.headers.get('x-request-id'), null)

  const b = await fetch(`${withHeaders.url}/api/v1/products/1005001/validation`)
  t.equal(await b.text(), body)
  for (const [name, value] of Object.entries(headers)) t.equal(b.headers.get(name), value, name)
  t.ok(b.headers.get('x-request-id'), 'a request id, as the API sends')
})
