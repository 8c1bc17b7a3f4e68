import type { FastifyError, FastifyInstance } from 'fastify'
import type { FastifySchemaValidationError } from 'fastify/types/schema.js'
import fp from 'fastify-plugin'
import { AppError, dependencyError, type ErrorCode, errorBody } from '../errors.ts'

// One error handler for the whole app: every answer it writes is a registry error (src/errors.ts).
// Client mistakes pass through with what was wrong; a failing dependency becomes its registry error;
// anything else is logged with its context and answered without internals.

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
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
  const code = FASTIFY_CODES[error.code ?? ''] ?? (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST')
  // Body parser messages are safe and useful ("Unexpected token } in JSON at position 9").
  return new AppError(code, error.message)
}

/** Ajv's message, with the allowed values named where Ajv only says "one of the allowed values". */
function describe(v: FastifySchemaValidationError): string {
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
    throw new AppError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)
  })
}

export default fp(errors, { name: 'errors', dependencies: ['rate-limit', 'metrics'] })
