import { PassThrough } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { AppError } from '../errors.ts'
import { serverTiming } from '../http/replies.ts'
import { errorResponses } from '../schemas/common.ts'
import { BatchBodySchema, BatchResponseSchema, ValidationBodySchema } from '../schemas/validation.ts'
import { parseMarket, parseProductInput } from '../validation/product-input.ts'

const validationRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
