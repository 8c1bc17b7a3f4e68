import { PassThrough } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { AppError, errorBody } from '../errors.ts'
import { serverTiming } from '../http/cached-get.ts'
import { errorResponses } from '../schemas/common.ts'
import { marketOf } from '../schemas/market.ts'
import { BatchBodySchema, BatchResponseSchema, ValidationBodySchema } from '../schemas/validation.ts'
import type { BatchItem } from '../validation/batch.ts'
import { parseProductInput } from '../validation/product-input.ts'

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
    async function validateHandler(request, reply) {
      const { product, keywords } = request.body
      const req = app.service.validationRequest({ productId: parseProductInput(product), market: marketOf(request.body), keywords })
      const outcome = await app.service.validate(req)
      reply.header('x-cache', outcome.status).header('server-timing', serverTiming(outcome.timings)).header('cache-control', 'no-store')
      return outcome.value
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
    async function batchHandler(request, reply) {
      const market = marketOf(request.body)
      const items = request.body.products.map((input): BatchItem => {
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
          stream.end(`${JSON.stringify(errorBody(new AppError('INTERNAL')))}\n`)
        })
      return reply.send(stream as never)
    },
  )
}

export default validationRoutes
