import { PassThrough } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { cacheKeys } from '../cache/keys.ts'
import type { AppError } from '../errors.ts'
import { freshPrepared, preparedFor, sendPrepared, serverTiming } from '../http/replies.ts'
import { errorResponses } from '../schemas/common.ts'
import { BatchBodySchema, BatchResponseSchema, ProductParamsSchema, ValidationBodySchema, ValidationQuerySchema } from '../schemas/validation.ts'
import { normalizeTerms } from '../validation/keywords.ts'
import { parseMarket, parseProductInput } from '../validation/product-input.ts'
import { SCORING_VERSION } from '../validation/score.ts'

const validationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const grace = app.config.cache.staleGraceMs

  app.get(
    '/products/:productId/validation',
    {
      schema: {
        summary: 'Validate one product, or serve its cached validation',
        params: ProductParamsSchema,
        querystring: ValidationQuerySchema,
        response: { 200: Type.Ref('Validation'), 304: Type.Null(), ...errorResponses(400, 404, 429, 502, 503, 504) },
      },
      // The hot path: helmet's headers are precomputed and the body is already compressed.
      helmet: false,
      compress: false,
    },
    async (request, reply) => {
      reply.headers(app.securityHeaders)
      const { productId } = request.params
      const { keywords } = request.query
      const market = parseMarket(request.query.country, request.query.currency)
      const key = cacheKeys.validation(SCORING_VERSION, productId, market, keywords && normalizeTerms(keywords))
      const hot = freshPrepared(app.prepared, key)
      if (hot) return sendPrepared(request, reply, hot, 'HIT', 'cache;desc=hit', grace)
      const outcome = await app.service.validate({ productId, market, keywords })
      const body = preparedFor(app.prepared, key, outcome.entry, () => JSON.stringify(outcome.validation))
      return sendPrepared(request, reply, body, outcome.cache, serverTiming(outcome.timings), grace)
    },
  )

  app.post(
    '/validations',
    {
      schema: {
        summary: 'Validate one product given by id or AliExpress URL',
        body: ValidationBodySchema,
        response: { 200: Type.Ref('Validation'), ...errorResponses(400, 404, 413, 415, 429, 502, 503, 504) },
      },
    },
    async (request, reply) => {
      const productId = parseProductInput(request.body.product)
      const market = parseMarket(request.body.country, request.body.currency)
      const outcome = await app.service.validate({ productId, market, keywords: request.body.keywords })
      reply.header('x-cache', outcome.cache).header('server-timing', serverTiming(outcome.timings)).header('cache-control', 'no-store')
      return outcome.validation
    },
  )

  app.post(
    '/validations/batch',
    {
      schema: {
        summary: 'Validate up to 50 products; NDJSON streaming with Accept: application/x-ndjson',
        body: BatchBodySchema,
        response: { 200: BatchResponseSchema, ...errorResponses(400, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const market = parseMarket(request.body.country, request.body.currency)
      const items = request.body.products.map((input) => {
        try {
          return { input, productId: parseProductInput(input) }
        } catch (error) {
          return { input, error: error as AppError }
        }
      })
      reply.header('cache-control', 'no-store')
      if (!request.headers.accept?.includes('application/x-ndjson')) {
        return app.service.validateBatch(items, market)
      }
      // One line per result as soon as it is ready, then the summary; never compressed, since a
      // compressor would hold lines back until its buffer fills.
      const stream = new PassThrough()
      reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('content-encoding', 'identity')
      app.service
        .validateBatch(items, market, (index, result) => stream.write(`${JSON.stringify({ index, ...result })}\n`))
        .then(({ summary }) => stream.end(`${JSON.stringify({ summary })}\n`))
        .catch((err: unknown) => {
          request.log.error({ err }, 'batch stream failed')
          stream.end(`${JSON.stringify({ error: { code: 'INTERNAL', message: 'Internal error' } })}\n`)
        })
      return reply.send(stream as never)
    },
  )
}

export default validationRoutes
