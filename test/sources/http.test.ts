import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { createUpstream, UpstreamError } from '../../src/sources/http.ts'

// createUpstream's retries: transient transport errors, 429 and 5xx, for idempotent calls only, with
// jitter on top of Retry-After, and never past the deadline.

interface Teardown {
  teardown(fn: () => unknown): void
}

async function server(t: Teardown, handle: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  let hits = 0
  const srv = createServer((req, res) => handle(++hits, req, res))
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => {
    srv.closeAllConnections()
    srv.close()
  })
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, hits: () => hits }
}

function upstream(t: Teardown, baseUrl: string, timeoutMs = 2_000) {
  const up = createUpstream({ source: 'aliexpress', baseUrl, timeoutMs, backoffBaseMs: 20 })
  t.teardown(() => up.close())
  return up
}

t.test('a reset connection is retried and the retry answers', async (t) => {
  const s = await server(t, (n, req, res) => (n === 1 ? req.socket.destroy() : res.end('{"ok":true}')))
  const res = await upstream(t, s.url).request({ method: 'GET', idempotent: true })
  t.equal(res.status, 200)
  t.equal(res.attempts, 2)
  t.equal(s.hits(), 2)
})

/** A server that answers every request with `status` and `body`. */
const always = (t: Teardown, status: number, body: string) =>
  server(t, (_n, _req, res) => {
    res.statusCode = status
    res.end(body)
  })

t.test('at most `connections` calls are open at once; the others queue and are all answered', async (t) => {
  let open = 0
  let most = 0
  const s = await server(t, (_n, _req, res) => {
    most = Math.max(most, ++open)
    setTimeout(() => {
      open--
      res.end('{}')
    }, 30)
  })
  const up = createUpstream({ source: 'aliexpress', baseUrl: s.url, timeoutMs: 5_000, connections: 3 })
  t.teardown(() => up.close())
  const answers = await Promise.all(Array.from({ length: 12 }, () => up.request({ method: 'GET', idempotent: true })))
  t.same(
    answers.map((a) => a.status),
    Array(12).fill(200),
  )
  t.equal(most, 3, 'never more than three at the server at once')
  t.equal(s.hits(), 12)
})

t.test('a non-idempotent call is never retried', async (t) => {
  const s = await always(t, 503, '{}')
  const res = await upstream(t, s.url).request({ method: 'POST', form: { a: '1' }, idempotent: false })
  t.equal(res.status, 503)
  t.equal(s.hits(), 1)
})

t.test('5xx: two retries, then the last answer is returned', async (t) => {
  const s = await always(t, 502, 'bad gateway')
  const res = await upstream(t, s.url).request({ method: 'GET', idempotent: true })
  t.equal(res.status, 502)
  t.equal(res.body, 'bad gateway')
  t.equal(res.attempts, 3)
  t.equal(s.hits(), 3)
})

t.test('429 waits at least its Retry-After; one past the deadline is not waited for', async (t) => {
  const short = await server(t, (n, _req, res) => {
    res.statusCode = n === 1 ? 429 : 200
    if (n === 1) res.setHeader('retry-after', '1')
    res.end('{}')
  })
  const started = performance.now()
  const res = await upstream(t, short.url).request({ method: 'GET', idempotent: true })
  t.equal(res.status, 200)
  t.ok(performance.now() - started >= 1_000, 'waited the announced second')

  const long = await server(t, (_n, _req, res) => {
    res.statusCode = 429
    res.setHeader('retry-after', '30')
    res.end('{}')
  })
  const quick = performance.now()
  const refused = await upstream(t, long.url).request({ method: 'GET', idempotent: true })
  t.equal(refused.status, 429)
  t.equal(long.hits(), 1)
  t.ok(performance.now() - quick < 500)
})

t.test('a refused connection is retried, then reported as a network error', async (t) => {
  const s = await server(t, () => {})
  const port = new URL(s.url).port
  // A port nobody listens on: the server above is closed at once.
  const closed = createServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const free = (closed.address() as AddressInfo).port
  closed.close()
  t.not(String(free), port)
  const err = await upstream(t, `http://127.0.0.1:${free}`)
    .request({ method: 'GET', idempotent: true })
    .catch((e: unknown) => e)
  t.ok(err instanceof UpstreamError)
  t.match(err, { code: 'UPSTREAM_NETWORK', attempts: 3, message: /ECONNREFUSED/ })
})

t.test('a body that asks for a retry (status undici does not retry) is retried by the outer loop', async (t) => {
  const s = await server(t, (n, _req, res) => {
    res.statusCode = 400
    res.end(n < 3 ? '{"again":true}' : '{"done":true}')
  })
  const res = await upstream(t, s.url).request({ method: 'GET', idempotent: true, retryAfterBody: (_status, body) => (body.includes('again') ? 0 : undefined) })
  t.equal(res.body, '{"done":true}')
  t.equal(res.attempts, 3)
})

t.test('no retry outlives the deadline', async (t) => {
  const s = await server(t, (_n, _req, res) => {
    setTimeout(() => {
      res.statusCode = 503
      res.end('{}')
    }, 150)
  })
  const started = performance.now()
  const res = await upstream(t, s.url, 400).request({ method: 'GET', idempotent: true })
  t.equal(res.status, 503)
  t.ok(performance.now() - started < 450, `answered in ${Math.round(performance.now() - started)} ms`)
  t.ok(s.hits() <= 3)
})
