import type { FastifyError, FastifyInstance } from 'fastify'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import fp from 'fastify-plugin'
import { AppError, dependencyError, type ErrorCode, errorBody } from '../errors.ts'
import { PRINTABLE } from '../schemas/validation.ts'

// One error handler for the whole app: every answer it writes is a registry error (src/errors.ts).
// Client mistakes pass through with what was wrong; a failing dependency becomes its registry error;
// anything else is logged with its context and answered without internals.

// Fastify's client errors, each with a message of ours: theirs may quote what the client sent.
const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['PAYLOAD_TOO_LARGE', 'The request body is larger than 64 KiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json (UTF-8)'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_REQUEST', 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_REQUEST', 'The body is empty; send a JSON object'],
  // Also a body with a __proto__ or constructor.prototype key (onProtoPoisoning: 'error').
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_REQUEST', 'The body is not valid JSON, or has a __proto__ or constructor.prototype key'],
}

/** Fastify's own errors and schema failures as registry errors. */
function clientError(error: FastifyError): AppError | undefined {
  if (error.validation) {
    const details = error.validation.map((v) => ({
      field: `${error.validationContext ?? 'request'}${v.instancePath || (v.params?.missingProperty ? `/${v.params.missingProperty}` : '')}`.replace(/\//g, '.'),
      message: describe(v),
    }))
    return new AppError('INVALID_REQUEST', `Invalid ${error.validationContext ?? 'request'}: ${details[0]?.field} ${details[0]?.message}`, { details })
  }
  const status = error.statusCode ?? 500
  if (status === 429) return new AppError('RATE_LIMITED', error.message)
  if (status >= 500) return undefined
  const known = FASTIFY_CODES[error.code ?? '']
  if (known) return new AppError(known[0], known[1])
  return new AppError(status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST')
}

/** Ajv's message, with the allowed values named where Ajv only says "one of the allowed values". */
function describe(v: FastifySchemaValidationError): string {
  if (v.keyword === 'pattern' && (v.params as { pattern?: string }).pattern === PRINTABLE) return 'must not contain control characters'
  const allowed = v.keyword === 'enum' ? (v.params as { allowedValues?: unknown[] }).allowedValues : undefined
  return allowed ? `must be one of ${allowed.join(', ')}` : (v.message ?? 'is not valid')
}

async function errors(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    const known = dependencyError(error) ?? clientError(error as FastifyError)
    if (!known) request.log.error({ err: error }, 'unhandled error')
    else if (known.statusCode >= 500) request.log.warn({ code: known.code, msg: known.message }, 'dependency failure answered')
    const answer = known ?? new AppError('INTERNAL')
    if (answer.headers) reply.headers(answer.headers)
    return reply.code(answer.statusCode).send(errorBody(answer))
  })

  // Fastify applies any lifecycle hook given here to the not-found route, though its types name only
  // preValidation and preHandler; test/api/metrics.test.ts checks that 404s are counted.
  const notFoundHooks = { preHandler: app.rateLimitHook, onResponse: app.notFoundMetrics }
  app.setNotFoundHandler(notFoundHooks as Pick<typeof notFoundHooks, 'preHandler'>, (request) => {
    // The path is echoed for the developer who mistyped it, cut short for anyone who stuffed it.
    const path = request.url.split('?')[0] ?? ''
    throw new AppError('NOT_FOUND', `No route ${request.method.slice(0, 16)} ${path.length > 120 ? `${path.slice(0, 120)}…` : path}`)
  })
}

export default fp(errors, { name: 'errors', dependencies: ['rate-limit', 'metrics'] })
