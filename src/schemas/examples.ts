import { ERRORS, type ErrorCode } from './errors.ts'
import adminStats from './examples/admin-stats.json' with { type: 'json' }
import batch from './examples/batch.json' with { type: 'json' }
import errorDatabaseUnavailable from './examples/error-database-unavailable.json' with { type: 'json' }
import errorForbidden from './examples/error-forbidden.json' with { type: 'json' }
import errorInvalidProduct from './examples/error-invalid-product.json' with { type: 'json' }
import errorInvalidRequest from './examples/error-invalid-request.json' with { type: 'json' }
import errorPayloadTooLarge from './examples/error-payload-too-large.json' with { type: 'json' }
import errorProductNotFound from './examples/error-product-not-found.json' with { type: 'json' }
import errorRateLimited from './examples/error-rate-limited.json' with { type: 'json' }
import errorUnauthorized from './examples/error-unauthorized.json' with { type: 'json' }
import errorUnsupportedMediaType from './examples/error-unsupported-media-type.json' with { type: 'json' }
import errorUpstreamError from './examples/error-upstream-error.json' with { type: 'json' }
import errorUpstreamTimeout from './examples/error-upstream-timeout.json' with { type: 'json' }
import errorUpstreamUnavailable from './examples/error-upstream-unavailable.json' with { type: 'json' }
import health from './examples/health.json' with { type: 'json' }
import healthReady from './examples/health-ready.json' with { type: 'json' }
import history from './examples/history.json' with { type: 'json' }
import search from './examples/search.json' with { type: 'json' }
import suppliers from './examples/suppliers.json' with { type: 'json' }
import validation from './examples/validation.json' with { type: 'json' }

// Real answers of the app over the sandbox upstreams, written by `npm run docs:examples`
// (scripts/openapi-examples.ts) and shown in the OpenAPI document as the `examples` of the schemas
// that describe them. test/api/openapi.test.ts checks that each one still validates against its
// schema, and that every file here is used.

export const EXAMPLES = { adminStats, batch, health, healthReady, history, search, suppliers, validation }

const ERROR_EXAMPLES: ErrorExample[] = [
  errorInvalidRequest,
  errorInvalidProduct,
  errorUnauthorized,
  errorForbidden,
  errorProductNotFound,
  errorPayloadTooLarge,
  errorUnsupportedMediaType,
  errorRateLimited,
  errorUpstreamError,
  errorUpstreamUnavailable,
  errorDatabaseUnavailable,
  errorUpstreamTimeout,
]

/** Every example by its file name under src/schemas/examples/. */
export const EXAMPLE_FILES: Readonly<Record<string, unknown>> = {
  'admin-stats.json': adminStats,
  'batch.json': batch,
  'error-database-unavailable.json': errorDatabaseUnavailable,
  'error-forbidden.json': errorForbidden,
  'error-invalid-product.json': errorInvalidProduct,
  'error-invalid-request.json': errorInvalidRequest,
  'error-payload-too-large.json': errorPayloadTooLarge,
  'error-product-not-found.json': errorProductNotFound,
  'error-rate-limited.json': errorRateLimited,
  'error-unauthorized.json': errorUnauthorized,
  'error-unsupported-media-type.json': errorUnsupportedMediaType,
  'error-upstream-error.json': errorUpstreamError,
  'error-upstream-timeout.json': errorUpstreamTimeout,
  'error-upstream-unavailable.json': errorUpstreamUnavailable,
  'health.json': health,
  'health-ready.json': healthReady,
  'history.json': history,
  'search.json': search,
  'suppliers.json': suppliers,
  'validation.json': validation,
}

export interface ErrorExample {
  error: { code: string; message: string }
}

/** The recorded error answers of this status, e.g. both 503s (UPSTREAM_UNAVAILABLE, DATABASE_UNAVAILABLE). */
export function errorExamples(status: number): ErrorExample[] {
  return ERROR_EXAMPLES.filter((body) => ERRORS[body.error.code as ErrorCode]?.status === status)
}
