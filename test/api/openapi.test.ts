import { channel } from 'node:diagnostics_channel'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import formatsPlugin from 'ajv-formats'
import type { FastifyInstance, RouteOptions } from 'fastify'
import t from 'tap'
import { DOCS_PREFIX } from '../../src/plugins/docs.ts'
import { EXAMPLE_FILES } from '../../src/schemas/examples.ts'
import { buildTestApp } from '../helper.ts'

// The OpenAPI document at /openapi.json: a valid OpenAPI document, naming every route the app
// registers with every status its schema declares, with examples that still fit their schemas; and
// the page at /docs, which has to load under its own Content-Security-Policy.

type Doc = {
  openapi: string
  paths: Record<string, Record<string, { responses: Record<string, Media>; security?: Record<string, string[]>[] }>>
  components: { schemas: Record<string, { examples?: unknown[] }>; securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> }
}
type Media = { content?: Record<string, { schema?: unknown; example?: unknown; examples?: Record<string, { value: unknown }> }> }
interface Seen {
  method: string
  url: string
  schema: RouteOptions['schema']
}

/** The app as tests build it, with every route it registers seen through Fastify's onRoute hook. */
async function buildSeeing(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}): Promise<{ app: FastifyInstance; routes: Seen[] }> {
  const routes: Seen[] = []
  // Fastify announces each new instance here, before any plugin runs (docs/Reference/Hooks.md).
  const init = channel('fastify.initialization')
  const onInit = (message: unknown) => {
    const { fastify } = message as { fastify: FastifyInstance }
    fastify.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url ?? route.path, schema: route.schema })
    })
  }
  init.subscribe(onInit)
  try {
    const { app } = await buildTestApp(t, { env })
    await app.ready()
    return { app, routes }
  } finally {
    init.unsubscribe(onInit)
  }
}

async function fetchDocument(app: FastifyInstance): Promise<Doc> {
  const res = await app.inject({ url: '/openapi.json' })
  if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}`)
  return res.json()
}

/**
 * The routes the document must show. Left out: the HEAD route Fastify adds beside every GET (the
 * same operation without a body), @fastify/cors's OPTIONS wildcard (it answers preflights for every
 * path; it is no operation), and the documentation page with its assets under /docs.
 */
function documentedRoutes(routes: Seen[]): Seen[] {
  const gets = new Set(routes.filter((r) => r.method === 'GET').map((r) => r.url))
  return routes.filter(
    (r) =>
      !(r.method === 'HEAD' && gets.has(r.url)) &&
      !(r.method === 'OPTIONS' && r.url === '*') &&
      !(r.url === DOCS_PREFIX || r.url.startsWith(`${DOCS_PREFIX}/`)),
  )
}

const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}')

t.test('/openapi.json is a valid OpenAPI 3.1 document whose references all resolve', async (t) => {
  const { app } = await buildSeeing(t)
  const doc = await fetchDocument(app)
  const validator = new Validator()
  const result = await validator.validate(structuredClone(doc) as never)
  t.same(result.errors ?? [], [], 'no errors from @seriousme/openapi-schema-validator')
  t.ok(result.valid)
  t.equal(validator.version, '3.1')

  t.ok(doc.components.schemas.Error, 'the shared Error schema is the Error component')
  t.ok(doc.components.schemas.Validation, 'the shared Validation schema is the Validation component')
  const refs = new Set<string>()
  JSON.stringify(doc, (key, value) => {
    if (key === '$ref') refs.add(value)
    return value
  })
  t.ok(refs.has('#/components/schemas/Error'))
  for (const ref of refs) t.ok(/^#\/components\/schemas\/[A-Z]\w*$/.test(ref) && doc.components.schemas[ref.split('/').at(-1)!], `${ref} names a component`)
})

t.test('every route the app registers is documented, with every status of its schema', async (t) => {
  const { app, routes } = await buildSeeing(t)
  const doc = await fetchDocument(app)
  const expected = documentedRoutes(routes)
  t.ok(expected.length >= 11, `${expected.length} routes to document`)
  const seen = new Set<string>()
  for (const route of expected) {
    const name = `${route.method} ${route.url}`
    const operation = doc.paths[openapiPath(route.url)]?.[route.method.toLowerCase()]
    if (!t.ok(operation, `${name} is in the document`)) continue
    seen.add(`${route.method.toLowerCase()} ${openapiPath(route.url)}`)
    const declared = Object.keys((route.schema?.response as object | undefined) ?? {})
    t.ok(declared.length > 0 && route.schema?.summary, `${name} declares a summary and its responses`)
    t.same(Object.keys(operation!.responses).sort(), [...declared, '500'].filter((s, i, all) => all.indexOf(s) === i).sort(), `${name}: its statuses, and 500`)
    const responses = (route.schema?.response ?? {}) as Record<string, { $ref?: string }>
    for (const status of [...declared.filter((s) => responses[s]?.$ref === 'Error'), '500']) {
      t.same(operation!.responses[status]?.content?.['application/json']?.schema, { $ref: '#/components/schemas/Error' }, `${name} ${status} is an Error`)
    }
  }
  const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
  t.same(documented.filter((op) => !seen.has(op)), [], 'nothing documented that the app does not route')
})

t.test('the admin key, the API key and the Supabase token are security schemes; the admin key guards /metrics and the admin routes', async (t) => {
  const { app, routes } = await buildSeeing(t)
  const doc = await fetchDocument(app)
  t.match(doc.components.securitySchemes, {
    adminKey: { type: 'apiKey', in: 'header', name: 'x-admin-key' },
    apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    supabaseBearer: { type: 'http', scheme: 'bearer' },
  })
  const guarded = documentedRoutes(routes).filter((r) => r.url === '/metrics' || r.url.startsWith('/api/v1/admin/'))
  t.ok(guarded.some((r) => r.url === '/metrics'))
  for (const route of guarded) {
    t.same(doc.paths[openapiPath(route.url)]![route.method.toLowerCase()]!.security, [{ adminKey: [] }], `${route.method} ${route.url} needs the admin key`)
  }
  t.notOk(doc.paths['/api/v1/validations']!.post!.security, 'validation routes are open until AUTH_REQUIRED applies the client schemes')
})

t.test('the recorded examples still fit the schemas that show them, and every one is shown', async (t) => {
  const { app } = await buildSeeing(t)
  const doc = await fetchDocument(app)
  // The document as a JSON Schema resource, so that each example is checked against the schema at
  // its place in the document, with its #/components/schemas references.
  const ajv = (formatsPlugin as unknown as (a: Ajv2020) => Ajv2020)(new Ajv2020({ strict: false, allErrors: true }))
  const base = 'https://dropforge.invalid/openapi.json'
  ajv.addSchema({ ...doc, $id: base })
  const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')
  const shown: unknown[] = []
  const check = (where: string, ref: string, value: unknown) => {
    shown.push(value)
    const validate = ajv.getSchema(`${base}#/${ref}`)
    if (!t.ok(validate, `${where}: its schema compiles`)) return
    const fits = validate!(value)
    t.ok(fits, `${where}: the example fits`, { errors: validate!.errors?.slice(0, 3) })
  }
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    for (const [i, example] of (schema.examples ?? []).entries()) check(`component ${name} example ${i}`, pointer('components', 'schemas', name), example)
  }
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          const at = pointer('paths', path, method, 'responses', status, 'content', type, 'schema')
          if (media.example !== undefined) check(`${method} ${path} ${status}`, at, media.example)
          for (const [name, example] of Object.entries(media.examples ?? {})) check(`${method} ${path} ${status} ${name}`, at, example.value)
        }
      }
    }
  }
  t.ok(shown.length >= Object.keys(EXAMPLE_FILES).length, `${shown.length} examples checked`)

  const files = readdirSync(join(import.meta.dirname, '../../src/schemas/examples')).sort()
  t.same(files, Object.keys(EXAMPLE_FILES).sort(), 'every file under src/schemas/examples/ is imported by src/schemas/examples.ts')
  const shownJson = new Set(shown.map((value) => JSON.stringify(value)))
  for (const [file, body] of Object.entries(EXAMPLE_FILES)) t.ok(shownJson.has(JSON.stringify(body)), `${file} is shown in the document`)
})

t.test('/openapi.json: one prepared body, revalidated by ETag, compressed, never shared, not rate limited', async (t) => {
  const { app } = await buildSeeing(t, { RATE_LIMIT_MAX: '2' })
  const first = await app.inject({ url: '/openapi.json', headers: { 'accept-encoding': 'br' } })
  t.equal(first.statusCode, 200)
  t.equal(first.headers['content-encoding'], 'br')
  t.equal(first.headers['cache-control'], 'private, no-cache')
  t.match(first.headers['content-security-policy'], "default-src 'none'", 'the API headers, not the page ones')
  const again = await app.inject({ url: '/openapi.json', headers: { 'accept-encoding': 'br', 'if-none-match': String(first.headers.etag) } })
  t.equal(again.statusCode, 304)
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ url: '/openapi.json' })).statusCode, 200, `request ${i + 3} is not limited`)
  const pages = await Promise.all([1, 2, 3].map(() => app.inject({ url: DOCS_PREFIX })))
  t.same(
    pages.map((r) => r.statusCode),
    [200, 200, 429],
    'the page and its assets are limited: each asset costs a compression of up to 1.7 MB',
  )
})

t.test('/docs serves Swagger UI under a policy that lets it run, and its scripts load', async (t) => {
  const { app } = await buildSeeing(t)
  const page = await app.inject({ url: DOCS_PREFIX })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], 'text/html')
  const csp = String(page.headers['content-security-policy'])
  t.match(csp, "script-src 'self'", 'scripts from this origin')
  t.match(csp, "connect-src 'self'", 'the document fetched from this origin')
  t.notMatch(csp, "default-src 'none'", 'not the API policy')
  t.equal(page.headers['x-frame-options'], 'DENY')
  t.equal(page.headers['cache-control'], 'private, no-cache')
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
  t.ok(assets.some((a) => a.endsWith('/swagger-ui-bundle.js')), 'the page loads swagger-ui-bundle.js')
  for (const asset of assets) {
    const res = await app.inject({ url: asset })
    t.equal(res.statusCode, 200, `${asset} loads`)
    t.match(res.headers['content-type'], asset.endsWith('.js') ? 'javascript' : 'text/css')
    t.equal(res.headers['content-security-policy'], csp, `${asset} carries the page policy`)
  }
  const spec = await app.inject({ url: `${DOCS_PREFIX}/json` })
  t.equal(spec.statusCode, 200, 'the document the page reads')
  t.same(spec.json(), await fetchDocument(app))
  const api = await app.inject({ url: '/health' })
  t.match(api.headers['content-security-policy'], "default-src 'none'", 'the API keeps its own policy')
})
