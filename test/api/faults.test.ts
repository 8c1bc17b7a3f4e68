import t from 'tap'
import type { FaultMode } from '../../src/sandbox/behaviour.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { buildTestApp } from '../helper.ts'

// Meta or YouTube failing degrades the answer; AliExpress failing leaves nothing to answer with.

const ENV = { UPSTREAM_TIMEOUT_MS: '600' }

const DEGRADING: [FaultMode, string][] = [
  ['http503', 'unavailable'],
  ['http500', 'unavailable'],
  ['timeout', 'unavailable'],
  ['html', 'unavailable'],
  ['truncated', 'unavailable'],
  ['error', 'unavailable'],
  ['rate_limit', 'rate_limited'],
]

for (const source of ['facebook', 'youtube'] as const) {
  t.test(`${source} failing: 200, its status, lower confidence, no invented data`, async (t) => {
    const { app, sandbox } = await buildTestApp(t, { env: ENV })
    let n = 0
    for (const [fault, status] of [...DEGRADING, ...(source === 'youtube' ? ([['quota', 'quota_exhausted']] as [FaultMode, string][]) : [])]) {
      sandbox[source].setBehaviour({ fault, faultRate: 1 })
      const started = Date.now()
      const res = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 200 + n++)}/validation` })
      t.equal(res.statusCode, 200, `${fault}: ${res.body}`)
      const v = res.json()
      t.equal(v.signals[source].status, status, `${fault} -> ${status}`)
      t.notOk('data' in v.signals[source], `${fault}: no data invented`)
      t.ok(v.confidence < 1, `${fault}: confidence ${v.confidence}`)
      t.ok(v.reasons.some((r: { code: string; message: string }) => r.message.toLowerCase().includes(source === 'facebook' ? 'meta' : 'youtube') || r.code.startsWith('SOURCE_')))
      t.ok(Date.now() - started < 2500, `${fault}: answered within the deadline`)
      t.match(res.headers['cache-control'], /max-age/, `${fault}: cacheable`)
    }
  })
}

const FATAL: [FaultMode, number][] = [
  ['http503', 503],
  ['http500', 503],
  ['timeout', 504],
  ['html', 503],
  ['truncated', 503],
  ['rate_limit', 503],
]

t.test('AliExpress failing: 502/503/504 in the error shape, never a 500', async (t) => {
  const { app, sandbox } = await buildTestApp(t, { env: ENV })
  let n = 0
  for (const [fault, status] of FATAL) {
    sandbox.aliexpress.setBehaviour({ fault, faultRate: 1 })
    const res = await app.inject({ url: `/api/v1/products/${sandboxIdOfKind('strong', 300 + n++)}/validation` })
    t.equal(res.statusCode, status, `${fault}: ${res.body}`)
    t.match(res.json(), { error: { code: String, message: String } })
    t.notMatch(res.body, /stack|at .*\.ts/)
  }
  t.equal(sandbox.facebook.totalCalls() + sandbox.youtube.totalCalls(), 0, 'no Meta or YouTube call without a product')
})

t.test('a failed source is cached briefly, then retried', async (t) => {
  const { app, sandbox } = await buildTestApp(t)
  sandbox.youtube.setBehaviour({ fault: 'http503', faultRate: 1 })
  const url = `/api/v1/products/${sandboxIdOfKind('average', 400)}/validation`
  const first = await app.inject({ url })
  t.equal(first.json().signals.youtube.status, 'unavailable')
  const expires = Date.parse(first.json().expiresAt) - Date.parse(first.json().validatedAt)
  t.ok(expires <= 60_000, `degraded validation kept ${expires} ms, not 24 h`)
})
