import helmet from '@fastify/helmet'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import swaggerUiCsp from '@fastify/swagger-ui/static/csp.json' with { type: 'json' }
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import Type from 'typebox'
import { SECURITY_HEADERS } from '../http/preset-headers.ts'
import { matchesEtag, negotiateEncoding, type PreparedBody, prepareBody } from '../http/prepared.ts'
import { SWAGGER_OPTIONS } from './openapi-document.ts'

// The API described by its own route schemas: @fastify/swagger collects every route registered after
// this plugin into an OpenAPI document (src/plugins/openapi-document.ts), served at /openapi.json,
// and @fastify/swagger-ui shows it at /docs.

export const DOCS_PREFIX = '/docs'

// The one <style> element swagger-ui-bundle.js inserts (in @fastify/swagger-ui 6.1.3), by the hash
// headless Chromium reported when it refused it. Stale after an upgrade, the page still works; the
// browser console then names the new hash.
const SWAGGER_UI_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"

// helmet's page defaults with a policy Swagger UI works under: its scripts and styles come from our
// own /docs/static (the hashes @fastify/swagger-ui lists for inline code, none today, are added),
// the document is fetched from this origin, and images may be data: URLs (its icons and logo).
function docsHelmetOptions(csp: { script: string[]; style: string[] }) {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'", ...csp.script],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", ...csp.style, SWAGGER_UI_STYLE_HASH],
      },
    },
    frameguard: { action: 'deny' as const },
    referrerPolicy: { policy: 'no-referrer' as const },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  }
}

async function docs(app: FastifyInstance) {
  await app.register(swagger, SWAGGER_OPTIONS)

  // Serialized and compressed once, on the first request after every route is known.
  let prepared: PreparedBody | undefined
  app.get(
    '/openapi.json',
    {
      // Prepared bytes cost no more to send than /metrics, which is not limited either.
      config: { rateLimit: false },
      compress: false,
      schema: {
        summary: 'This API as an OpenAPI 3.1 document',
        response: {
          200: Type.Object({}, { additionalProperties: true, description: 'the OpenAPI document' }),
          304: Type.Null({ description: 'the ETag in If-None-Match still names this document' }),
        },
      },
    },
    (request, reply) => {
      prepared ??= prepareBody(JSON.stringify(app.swagger()), { storedAt: Date.now(), freshUntil: Infinity, staleUntil: Infinity })
      const encoding = negotiateEncoding(request.headers['accept-encoding'])
      // The same for everyone, but an answer may carry a CORS grant for one origin and some CDNs
      // ignore Vary: browsers keep it and revalidate, which the ETag makes a 304.
      reply.header('cache-control', 'private, no-cache').header('vary', 'Origin, Accept-Encoding').header('etag', prepared.etags[encoding])
      if (matchesEtag(request.headers['if-none-match'], prepared)) return reply.code(304).send()
      reply.header('content-type', 'application/json; charset=utf-8')
      if (encoding !== 'identity') reply.header('content-encoding', encoding)
      return reply.send(prepared[encoding])
    },
  )

  // The page and its assets, in a scope of their own: the API's preset headers forbid everything a
  // page needs (Content-Security-Policy: default-src 'none'), so here they are replaced by helmet's.
  // They stay rate limited: @fastify/compress compresses the 1.7 MB swagger-ui-bundle.js afresh for
  // every request that does not revalidate.
  await app.register(async (page) => {
    page.addHook('onRequest', (_request, reply, done) => {
      // helmet writes on the raw response, under the headers Fastify sends; the preset ones must go.
      for (const name of Object.keys(SECURITY_HEADERS)) reply.removeHeader(name)
      done()
    })
    await page.register(helmet, docsHelmetOptions(swaggerUiCsp))
    page.addHook('onSend', (_request, reply, payload, done) => {
      // Same as /openapi.json: nothing here is secret, but CORS grants are per origin.
      reply.header('cache-control', 'private, no-cache')
      done(null, payload)
    })
    await page.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      theme: { title: 'DropForge API' },
      uiConfig: { docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    })
  })
}

export default fp(docs, { name: 'docs' })
