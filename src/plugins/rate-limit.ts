import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { clientKey } from '../http/client-key.ts'
import { createWindowBudget, type WindowBudgetOptions } from '../http/window-budget.ts'

// A fixed window per client (src/http/client-key.ts: the authenticated client, else its address),
// counted by @fastify/rate-limit's own stores (src/http/window-budget.ts). Its request hook is not used: that one awaits three promises and builds request.routeOptions on every request, 3.7k
// instructions per cached GET (PERFORMANCE.md); this one is a callback, and with the memory store it
// completes synchronously, so a cached answer goes out without a promise.

export type RateLimitOptions = WindowBudgetOptions

export type RateLimitHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions) {
  const budget = createWindowBudget({ ...options, what: 'Rate limit' })
  const limit: RateLimitHook = (request, _reply, done) => budget.take(clientKey(request), done)

  app.decorate('rateLimitHook', limit)
  // A route-level hook, so it runs after each scope's own onRequest hooks: a 429 carries the same
  // security, CORS and request-id headers as any other answer. `config: { rateLimit: false }` opts out.
  app.addHook('onRoute', (route) => {
    if (route.config?.rateLimit === false) return
    route.onRequest = [...[route.onRequest ?? []].flat(), limit]
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the rate limit as an onRequest hook, for the not-found handler, which onRoute does not see */
    rateLimitHook: RateLimitHook
  }
}

export default fp(rateLimitPlugin, { name: 'rate-limit' })
