// npm run docs:examples: records the examples of the OpenAPI document as real answers. It starts the
// sandbox upstreams and the app as production builds it (buildApp, PGlite for history), calls each
// route over HTTP on loopback, and writes every answer body to src/schemas/examples/<name>.json,
// which src/schemas/examples.ts hands to the schemas. Run it after changing a response shape, then
// commit the files; test/api/openapi.test.ts fails while a committed example no longer fits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { sandboxIdOfKind } from '../src/sandbox/catalogue.ts'
import { type Sandbox, startSandbox, withSandbox } from '../src/sandbox/index.ts'
import { EXAMPLE_FILES } from '../src/schemas/examples.ts'

const OUT = join(import.meta.dirname, '..', 'src', 'schemas', 'examples')
const ADMIN_KEY = 'docs-examples-admin-key'
const FAST = { latencyMs: 0, jitterMs: 0 }
const recorded = new Map<string, unknown>()

type Call = (name: string | undefined, status: number, path: string, init?: RequestInit) => Promise<unknown>

/** An app over the sandbox, listening on loopback; `call` checks the status and records the body under `name`. */
async function withApp(sandbox: Sandbox, env: Record<string, string>, run: (call: Call) => Promise<void>, patch = (c: Config) => c) {
  const config = patch(withSandbox(loadConfig({ NODE_ENV: 'production', SANDBOX: 'true', LOG_LEVEL: 'silent', PERSISTENCE: 'off', RATE_LIMIT_MAX: '100000', ...env }), sandbox))
  const app = await buildApp(config)
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    await run(async (name, status, path, init) => {
      const res = await fetch(`${base}${path}`, init)
      const text = await res.text()
      if (res.status !== status) throw new Error(`${init?.method ?? 'GET'} ${path}: expected ${status}, got ${res.status}: ${text.slice(0, 300)}`)
      const body: unknown = JSON.parse(text)
      if (name) recorded.set(name, body)
      return body
    })
  } finally {
    await app.close()
  }
}

const json = (body: unknown, method = 'POST'): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const strong = (n: number) => sandboxIdOfKind('strong', n)

const sandbox = await startSandbox({ aliexpress: FAST, facebook: FAST, youtube: FAST, youtubeSearchDailyLimit: 1_000_000 })
const pglite = mkdtempSync(join(tmpdir(), 'dropforge-docs-examples-'))
try {
  await withApp(sandbox, { PERSISTENCE: 'on', PGLITE_DIR: pglite, ADMIN_API_KEY: ADMIN_KEY }, async (call) => {
    await call('health.json', 200, '/health')
    await call('validation.json', 200, `/api/v1/products/${strong(0)}/validation`)
    await call(undefined, 200, `/api/v1/products/${strong(0)}/validation?country=GB&currency=GBP`)
    await call('search.json', 200, '/api/v1/products/search?q=wireless+earbuds&pageSize=3')
    await call('suppliers.json', 200, `/api/v1/products/${strong(0)}/suppliers`)
    await call('batch.json', 200, '/api/v1/validations/batch', json({ products: [`https://www.aliexpress.com/item/${strong(1)}.html`, 'not a product'] }))
    // The write-behind queue stores validations a moment after they are answered.
    for (let tries = 0; ; tries++) {
      const page = (await call('history.json', 200, `/api/v1/products/${strong(0)}/history`)) as { items: unknown[] }
      if (page.items.length >= 2) break
      if (tries > 100) throw new Error('the two validations never reached the history')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    await call('health-ready.json', 200, '/health/ready')
    await call('admin-stats.json', 200, '/api/v1/admin/stats', { headers: { 'x-admin-key': ADMIN_KEY } })
    await call('error-invalid-request.json', 400, '/api/v1/products/search?q=a')
    await call('error-invalid-product.json', 400, '/api/v1/validations', json({ product: 'https://example.com/item/42.html' }))
    await call('error-product-not-found.json', 404, `/api/v1/products/${sandboxIdOfKind('unknown', 1)}/validation`)
    await call('error-payload-too-large.json', 413, '/api/v1/validations', json({ product: 'x'.repeat(70_000) }))
    await call('error-unsupported-media-type.json', 415, '/api/v1/validations', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: strong(2) })
    await call('error-unauthorized.json', 401, '/metrics', { headers: { 'x-admin-key': 'not-the-admin-key' } })
  })

  await withApp(sandbox, { RATE_LIMIT_MAX: '1' }, async (call) => {
    await call('error-forbidden.json', 403, '/metrics')
    await call('error-database-unavailable.json', 503, `/api/v1/products/${strong(0)}/history`)
    await call('error-rate-limited.json', 429, `/api/v1/products/${strong(0)}/history`)
  })

  await withApp(sandbox, { UPSTREAM_TIMEOUT_MS: '500' }, async (call) => {
    sandbox.aliexpress.setBehaviour({ fault: 'http503', faultRate: 1 })
    await call('error-upstream-unavailable.json', 503, `/api/v1/products/${strong(3)}/validation`)
    sandbox.aliexpress.setBehaviour({ fault: 'timeout' })
    await call('error-upstream-timeout.json', 504, `/api/v1/products/${strong(4)}/validation`)
    sandbox.aliexpress.setBehaviour({ faultRate: 0 })
  })

  // AliExpress refusing our signature: what a wrong ALIEXPRESS_APP_SECRET looks like.
  await withApp(sandbox, {}, (call) => call('error-upstream-error.json', 502, `/api/v1/products/${strong(5)}/validation`).then(() => {}), (config) => ({
    ...config,
    aliexpress: { ...config.aliexpress, appSecret: 'not-the-app-secret' },
  }))
} finally {
  await sandbox.close()
  rmSync(pglite, { recursive: true, force: true })
}

const expected = Object.keys(EXAMPLE_FILES)
const missing = expected.filter((name) => !recorded.has(name))
const unknown = [...recorded.keys()].filter((name) => !expected.includes(name))
if (missing.length > 0 || unknown.length > 0) {
  throw new Error(`recorded and src/schemas/examples.ts disagree: missing ${missing.join(', ') || 'none'}; not imported ${unknown.join(', ') || 'none'}`)
}
for (const [name, body] of recorded) writeFileSync(join(OUT, name), `${JSON.stringify(body, null, 2)}\n`)
console.log(`wrote ${recorded.size} examples to ${OUT}`)
