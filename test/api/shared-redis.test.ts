import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp, redisTestEnv, startTestSandbox } from '../helper.ts'

const redisUrl = process.env.REDIS_URL

t.test('two instances sharing one Redis: a miss on one is a hit on the other', { skip: redisUrl ? false : 'REDIS_URL not set' }, async (t) => {
  const sandbox = await startTestSandbox(t)
  const env = redisTestEnv(t)!
  const one = await buildTestApp(t, { sandbox, env })
  const two = await buildTestApp(t, { sandbox, env })
  const url = `/api/v1/products/${sandboxIdOfKind('strong', 900 + (process.pid % 1000))}/validation`
  const miss = await one.app.inject({ url })
  t.equal(miss.statusCode, 200, miss.body)
  t.equal(miss.headers['x-cache'], 'MISS')
  const calls = sandbox.totalCalls()
  const hit = await two.app.inject({ url })
  t.equal(hit.headers['x-cache'], 'HIT')
  t.equal(sandbox.totalCalls(), calls, 'the second instance called no upstream')
  t.same(hit.json(), miss.json())
})

t.test('two instances sharing one Redis count one rate-limit budget per client', { skip: redisUrl ? false : 'REDIS_URL not set' }, async (t) => {
  const sandbox = await startTestSandbox(t)
  const env = { ...redisTestEnv(t)!, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW: '1 minute' }
  const one = await buildTestApp(t, { sandbox, env })
  const two = await buildTestApp(t, { sandbox, env })
  const client = { remoteAddress: '2001:db8:1:2::1' }
  const url = `/api/v1/products/${sandboxIdOfKind('strong', 904)}/validation`
  const codes = [
    (await one.app.inject({ url, ...client })).statusCode,
    (await two.app.inject({ url, ...client })).statusCode,
    (await one.app.inject({ url: '/api/v1/products/search?q=led%20strip', ...client })).statusCode,
  ]
  t.same(codes, [200, 200, 200])
  const over = await two.app.inject({ url, ...client })
  t.equal(over.statusCode, 429, 'the fourth request, on either instance, is over the shared limit')
  t.ok(Number(over.headers['retry-after']) > 0)
})

t.test('Redis down: answers come from the upstreams, then from the in-process layer; no hang, no crash', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: { REDIS_URL: 'redis://127.0.0.1:1' } })
  const started = Date.now()
  const payload = { product: sandboxIdOfKind('average', 901) }
  const res = await app.inject({ method: 'POST', url: '/api/v1/validations', payload })
  t.equal(res.statusCode, 200, res.body)
  t.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`)
  const calls = sandbox.totalCalls()
  const again = await app.inject({ method: 'POST', url: '/api/v1/validations', payload })
  t.equal(again.headers['x-cache'], 'HIT')
  t.equal(sandbox.totalCalls(), calls, 'served by the in-process layer, no upstream call')
})

t.test('Redis hanging (accepts, never answers): requests still answer within seconds', async (t) => {
  const sockets = new Set<Socket>()
  const hung = createServer((socket) => {
    sockets.add(socket)
    socket.on('data', () => {})
  })
  hung.listen(0, '127.0.0.1')
  await once(hung, 'listening')
  t.teardown(() => {
    hung.close()
    for (const s of sockets) s.destroy()
  })
  const { app } = await buildTestApp(t, { env: { REDIS_URL: `redis://127.0.0.1:${(hung.address() as { port: number }).port}` } })
  for (const product of [sandboxIdOfKind('strong', 902), sandboxIdOfKind('weak', 903)]) {
    const started = Date.now()
    const res = await app.inject({ method: 'POST', url: '/api/v1/validations', payload: { product } })
    t.equal(res.statusCode, 200, res.body)
    t.ok(Date.now() - started < 4_000, `answered in ${Date.now() - started} ms`)
  }
})
