import { STATUS_CODES } from 'node:http'
import type { SwaggerOptions, SwaggerTransform } from '@fastify/swagger'
import pkg from '../../package.json' with { type: 'json' }
import { errorResponses } from '../schemas/common.ts'
import { errorExamples } from '../schemas/examples.ts'
import { ADMIN_PATHS, anyOf, SECURITY_SCHEMES } from '../schemas/security.ts'

// How the route schemas become the OpenAPI document: OpenAPI 3.1, because its Schema Object is plain
// JSON Schema (TypeBox's `type: 'null'` and `examples` arrays stay as they are), shared schemas as
// named components, and what no single route schema says: tags, the admin key, the 500 any route
// can answer, and the recorded error answers of each status.

const TAGS = [
  { name: 'validation', description: 'Validate AliExpress products against AliExpress, the Meta Ad Library and YouTube' },
  { name: 'products', description: 'Search AliExpress, compare suppliers, read past validations' },
  { name: 'health', description: 'Liveness and readiness probes' },
  { name: 'operations', description: 'For operators, with the admin key' },
  { name: 'docs', description: 'This document' },
]

function tagOf(url: string): string {
  if (url.startsWith('/api/v1/validations') || url.endsWith('/validation')) return 'validation'
  if (url.startsWith('/api/v1/products')) return 'products'
  if (url.startsWith('/health')) return 'health'
  if (url === '/openapi.json') return 'docs'
  return 'operations'
}

const isAdminPath = (url: string) => ADMIN_PATHS.some((path) => url === path || (path.endsWith('/') && url.startsWith(path)))

/** A response without a description of its own is described by its status ("OK"), not "Default Response". */
function described(responses: Record<string, object>): Record<string, object> {
  return Object.fromEntries(
    Object.entries(responses).map(([status, schema]) => [status, 'description' in schema ? schema : { ...schema, description: STATUS_CODES[status] ?? status }]),
  )
}

const transform: SwaggerTransform = ({ schema, url }) => {
  if (schema?.hide) return { schema, url }
  return {
    url,
    schema: {
      ...schema,
      tags: schema?.tags ?? [tagOf(url)],
      ...(isAdminPath(url) && !schema?.security ? { security: anyOf('adminKey') } : {}),
      // The error handler answers anything unexpected with a 500 INTERNAL, on every route.
      response: described({ ...errorResponses(500), ...(schema?.response as Record<string, object> | undefined) }),
    },
  }
}

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string }; examples?: unknown }> }>
}

/** The recorded answers of each error status, by code, beside every response that is an Error. */
function withErrorExamples<T extends { paths?: unknown }>(document: T): T {
  for (const item of Object.values((document.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const operation of Object.values(item)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const media = response.content?.['application/json']
        if (media?.schema?.$ref !== '#/components/schemas/Error') continue
        const examples = errorExamples(Number(status))
        if (examples.length > 0) media.examples = Object.fromEntries(examples.map((body) => [body.error.code, { summary: body.error.message, value: body }]))
      }
    }
  }
  return document
}

export const SWAGGER_OPTIONS: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'DropForge API',
      version: pkg.version,
      description: `${pkg.description}. Every error answer has the Error shape; cacheable GETs answer 304 to a matching If-None-Match.`,
    },
    tags: TAGS,
    components: { securitySchemes: SECURITY_SCHEMES },
  },
  // Shared schemas (app.addSchema) become components named by their $id: #/components/schemas/Error.
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  transform,
  transformObject: (documents) => ('openapiObject' in documents ? withErrorExamples(documents.openapiObject) : documents.swaggerObject),
}
