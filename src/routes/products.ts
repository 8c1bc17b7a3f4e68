import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { cacheKeys } from '../cache/keys.ts'
import { AppError } from '../errors.ts'
import { freshPrepared, preparedFor, sendHit, sendPrepared, serverTiming } from '../http/replies.ts'
import { errorResponses } from '../schemas/common.ts'
import { HistoryQuerySchema, MarketOnlyQuerySchema, SearchQuerySchema, SearchResponseSchema, SuppliersResponseSchema } from '../schemas/products.ts'
import { ProductParamsSchema, ValidationQuerySchema } from '../schemas/validation.ts'
import { normalizeTerms } from '../validation/keywords.ts'
import { parseMarket } from '../validation/product-input.ts'
import { SCORING_VERSION } from '../validation/score.ts'

// The cacheable GETs: served from prepared bytes (src/http/replies.ts) and registered where
// @fastify/helmet and @fastify/cors do not run (src/app.ts), with their headers precomputed instead.
// A fresh prepared answer is sent synchronously: no promise on the hot path.
const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
      // The body is already compressed, and a GET has none to decompress (no preParsing hook).
      compress: false,
      decompress: false,
    },
    (request, reply) => {
      const { productId } = request.params
      const { keywords } = request.query
      const market = parseMarket(request.query.country, request.query.currency)
      const key = cacheKeys.validation(SCORING_VERSION, productId, market, keywords && normalizeTerms(keywords))
      const hot = freshPrepared(app.prepared, key)
      if (hot) {
        sendHit(request, reply, hot, grace)
        return
      }
      return app.service.validate({ productId, market, keywords }).then((outcome) => {
        const body = preparedFor(app.prepared, key, outcome.entry, () => JSON.stringify(outcome.validation))
        sendPrepared(request, reply, body, outcome.cache, serverTiming(outcome.timings), grace)
      })
    },
  )

  app.get(
    '/products/search',
    {
      schema: {
        summary: 'AliExpress keyword search (cached 1 hour)',
        querystring: SearchQuerySchema,
        response: { 200: SearchResponseSchema, 304: Type.Null(), ...errorResponses(400, 429, 502, 503, 504) },
      },
      compress: false,
      decompress: false,
    },
    (request, reply) => {
      const { q, page, pageSize, sort } = request.query
      const market = parseMarket(request.query.country, request.query.currency)
      const key = cacheKeys.search(normalizeTerms(q), page, pageSize, sort, market)
      const hot = freshPrepared(app.prepared, key)
      if (hot) {
        sendHit(request, reply, hot, grace)
        return
      }
      return app.service.searchProducts({ keywords: q, page, pageSize, sort }, market).then(({ page: result, cache, entry }) => {
        const body = preparedFor(app.prepared, key, entry, () =>
          JSON.stringify({ query: normalizeTerms(q), page: result.page, pageSize: result.pageSize, totalResults: result.totalResults, products: result.products }),
        )
        sendPrepared(request, reply, body, cache, cache === 'MISS' ? 'aliexpress' : `cache;desc=${cache.toLowerCase()}`, grace)
      })
    },
  )

  app.get(
    '/products/:productId/suppliers',
    {
      schema: {
        summary: 'Other AliExpress listings of the same product, compared (cached 24 hours)',
        params: ProductParamsSchema,
        querystring: MarketOnlyQuerySchema,
        response: { 200: SuppliersResponseSchema, 304: Type.Null(), ...errorResponses(400, 404, 429, 502, 503, 504) },
      },
      compress: false,
      decompress: false,
    },
    (request, reply) => {
      const market = parseMarket(request.query.country, request.query.currency)
      const key = cacheKeys.suppliers(request.params.productId, market)
      const hot = freshPrepared(app.prepared, key)
      if (hot) {
        sendHit(request, reply, hot, grace)
        return
      }
      return app.service.suppliers(request.params.productId, market).then(({ answer, cache, entry, timings }) => {
        const body = preparedFor(app.prepared, key, entry, () => JSON.stringify(answer))
        sendPrepared(request, reply, body, cache, serverTiming(timings) || `cache;desc=${cache.toLowerCase()}`, grace)
      })
    },
  )

  app.get(
    '/products/:productId/history',
    {
      schema: {
        summary: 'Past validations of this product, newest first',
        params: ProductParamsSchema,
        querystring: HistoryQuerySchema,
        response: {
          200: Type.Object({
            productId: Type.String(),
            items: Type.Array(
              Type.Object({
                validatedAt: Type.String(),
                expiresAt: Type.String(),
                market: Type.Object({ country: Type.String(), currency: Type.String() }),
                score: Type.Union([Type.Number(), Type.Null()]),
                verdict: Type.String(),
                confidence: Type.Number(),
                scoringVersion: Type.String(),
                components: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()])),
              }),
            ),
            nextBefore: Type.Optional(Type.String()),
          }),
          ...errorResponses(400, 429, 503),
        },
      },
    },
    async (request, reply) => {
      if (!app.store) throw new AppError('UPSTREAM_UNAVAILABLE', 'History is not available: persistence is off')
      const { country, currency, limit, before } = request.query
      const market = country || currency ? parseMarket(country, currency) : undefined
      const page = await app.store.history({
        productId: request.params.productId,
        country: country ? market?.country : undefined,
        currency: currency ? market?.currency : undefined,
        limit,
        before,
      })
      reply.header('cache-control', 'no-store')
      return { productId: request.params.productId, ...page }
    },
  )
}

export default productRoutes
