import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type ErrorCode, errorBody } from '../errors.ts'
import type { CorsGrants } from './cors.ts'
import { presetHeaders } from './preset-headers.ts'

// One error handler for the whole app: client mistakes pass through in the public shape, anything
// else is logged with its context and answered without internals.

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
}

async function errors(app: FastifyInstance, options: { corsGrants: CorsGrants }) {
  const setPresetHeaders = presetHeaders(options.corsGrants)
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (error instanceof AppError) {
      if (error.statusCode >= 500) request.log.warn({ code: error.code, msg: error.message }, 'upstream failure answered')
      if (error.headers) reply.headers(error.headers)
      return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details))
    }
    if (error.validation) {
      const details = error.validation.map((v) => ({
        field: `${error.validationContext ?? 'request'}${v.instancePath || ''}`.replace(/\//g, '.'),
        message: v.message ?? 'is not valid',
      }))
      return reply.code(400).send(errorBody('INVALID_REQUEST', `Invalid ${error.validationContext ?? 'request'}: ${details[0]?.field} ${details[0]?.message}`, details))
    }
    const status = error.statusCode ?? 500
    if (status === 429) return reply.code(429).send(errorBody('RATE_LIMITED', error.message))
    if (status < 500) {
      const code = (error.code && FASTIFY_CODES[error.code]) ?? (status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST')
      // Body parser messages are safe and useful ("Unexpected token } in JSON at position 9").
      return reply.code(status).send(errorBody(code, error.message))
    }
    request.log.error({ err: error }, 'unhandled error')
    return reply.code(500).send(errorBody('INTERNAL', 'Internal error'))
  })

  // Fastify applies any lifecycle hook given here to the not-found route, though its types name only
  // preValidation and preHandler; test/api/metrics.test.ts checks that 404s are counted.
  const notFoundHooks = { preHandler: app.rateLimitHook, onResponse: app.notFoundMetrics }
  // Outside the helmet and @fastify/cors scope: the same headers, precomputed.
  app.setNotFoundHandler(notFoundHooks as Pick<typeof notFoundHooks, 'preHandler'>, (request, reply) => {
    setPresetHeaders(request, reply)
    return reply.code(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`))
  })
}

export default fp(errors, { name: 'errors', dependencies: ['rate-limit', 'metrics'] })
