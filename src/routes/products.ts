import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { AppError } from '../errors.ts'
import { CACHED_GET, createCachedGet } from '../http/cached-get.ts'
import { createWindowBudget } from '../http/window-budget.ts'
import { errorResponses } from '../schemas/common.ts'
import { marketOf } from '../schemas/market.ts'
import { ProductParamsSchema } from '../schemas/product.ts'
import {
  HistoryQuerySchema,
  HistoryResponseSchema,
  RANKED_VERDICTS,
  SearchQuerySchema,
  SearchResponseSchema,
  SuppliersQuerySchema,
  SuppliersResponseSchema,
  TopQuerySchema,
  TopResponseSchema,
} from '../schemas/products.ts'
import { ValidationQuerySchema } from '../schemas/validation.ts'
import { SCORING_VERSION } from '../validation/score.ts'

// The product routes. The three cacheable GETs name their request (which carries its cache key) and
// the service call that answers it; src/http/cached-get.ts does the rest.
const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const refreshBudget = createWindowBudget({ ...app.config.refreshLimit, redis: app.redis, keyPrefix: `${app.config.redisKeyPrefix}:refresh:`, what: 'Refresh budget' })
  const cachedGet = createCachedGet({ prepared: app.prepared, staleGraceMs: app.config.cache.staleGraceMs, refreshBudget })
  const NotModified = { 304: Type.Null({ description: 'the ETag in If-None-Match still names this answer' }) }

  app.get(
    '/products/:productId/validation',
    {
      ...CACHED_GET,
      schema: {
        summary: 'Validate one product, or serve its cached validation',
        params: ProductParamsSchema,
        querystring: ValidationQuerySchema,
        response: { 200: Type.Ref('Validation'), ...NotModified, ...errorResponses(400, 404, 429, 502, 503, 504) },
      },
    },
    function validationHandler(request, reply) {
      const req = app.service.validationRequest({ productId: request.params.productId, market: marketOf(request.query), keywords: request.query.keywords })
      return cachedGet(request, reply, req.key, (opts) => app.service.validate(req, opts))
    },
  )

  app.get(
    '/products/search',
    {
      ...CACHED_GET,
      schema: {
        summary: 'AliExpress keyword search (cached 1 hour)',
        querystring: SearchQuerySchema,
        response: { 200: SearchResponseSchema, ...NotModified, ...errorResponses(400, 429, 502, 503, 504) },
      },
    },
    function searchHandler(request, reply) {
      const req = app.service.searchRequest({ ...request.query, market: marketOf(request.query) })
      return cachedGet(request, reply, req.key, (opts) => app.service.search(req, opts))
    },
  )

  app.get(
    '/products/:productId/suppliers',
    {
      ...CACHED_GET,
      schema: {
        summary: 'Other AliExpress listings of the same product, compared (cached 24 hours)',
        params: ProductParamsSchema,
        querystring: SuppliersQuerySchema,
        response: { 200: SuppliersResponseSchema, ...NotModified, ...errorResponses(400, 404, 429, 502, 503, 504) },
      },
    },
    function suppliersHandler(request, reply) {
      const req = app.service.suppliersRequest({ productId: request.params.productId, market: marketOf(request.query) })
      return cachedGet(request, reply, req.key, (opts) => app.service.suppliers(req, opts))
    },
  )

  app.get(
    '/products/top',
    {
      schema: {
        summary: 'The best current validations, newest per product and market, best first (from the database)',
        description:
          'Validations still within their TTL and of the current scoring version, ordered by score, then the newest. ' +
          'Keyset pagination: pass `nextCursor` back as `cursor`. Answers 503 DATABASE_UNAVAILABLE when persistence is off or down.',
        querystring: TopQuerySchema,
        response: { 200: TopResponseSchema, ...errorResponses(400, 429, 503) },
      },
    },
    async function topHandler(request, reply) {
      if (!app.store) throw new AppError('DATABASE_UNAVAILABLE', 'Top products are not available: persistence is off')
      const { verdict, country, ...rest } = request.query
      const page = await app.store.topValidations({
        ...rest,
        verdicts: verdict ? [verdict] : RANKED_VERDICTS,
        country: country?.toUpperCase(),
        scoringVersion: SCORING_VERSION,
        now: new Date(),
      })
      // A list that changes as validations arrive: a minute in any cache is fine, and spares the database.
      reply.header('cache-control', 'public, max-age=60')
      return { scoringVersion: SCORING_VERSION, ...page }
    },
  )

  app.get(
    '/products/:productId/history',
    {
      schema: {
        summary: 'Past validations of this product, newest first',
        params: ProductParamsSchema,
        querystring: HistoryQuerySchema,
        response: { 200: HistoryResponseSchema, ...errorResponses(400, 429, 503) },
      },
    },
    async function historyHandler(request, reply) {
      if (!app.store) throw new AppError('DATABASE_UNAVAILABLE', 'History is not available: persistence is off')
      const { country, currency, limit, before } = request.query
      const page = await app.store.history({ productId: request.params.productId, country: country?.toUpperCase(), currency, limit, before })
      reply.header('cache-control', 'no-store')
      return { productId: request.params.productId, ...page }
    },
  )
}

export default productRoutes
