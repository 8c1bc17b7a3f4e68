import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import LocalStore from '@fastify/rate-limit/store/LocalStore.js'
import RedisStore from '@fastify/rate-limit/store/RedisStore.js'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { AppError } from '../errors.ts'
import { clientKey } from '../http/client-key.ts'

// A fixed window per client (src/http/client-key.ts: the authenticated client, else its address),
// counted by @fastify/rate-limit's own stores (an LRU of windows in memory, or its Lua script in Redis
// so that every instance shares the count). Its request hook is
// not used: that one awaits three promises and builds request.routeOptions on every request, 3.7k
// instructions per cached GET (PERFORMANCE.md); this one is a callback, and with the memory store it
// completes synchronously, so a cached answer goes out without a promise.

export interface RateLimitOptions {
  max: number
  windowMs: number
  /** shared counters across instances; without it each instance counts alone */
  redis?: Redis
  keyPrefix?: string
}

export type RateLimitHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

/** A fixed-window budget per key, counted by @fastify/rate-limit's stores. */
export interface WindowBudget {
  /** counts one use; `done` gets a RATE_LIMITED error once the key is over its budget */
  take(key: string, done: (error?: AppError) => void): void
}

export function createWindowBudget(options: RateLimitOptions & { what: string }): WindowBudget {
  const { max, windowMs } = options
  const local = new LocalStore(false, false, 5000)
  const store: FastifyRateLimitStore = options.redis ? new RedisStore(false, false, options.redis, options.keyPrefix ?? 'dropforge:rl:') : local
  const refuse = (window: { ttl: number }, done: (error?: AppError) => void) => {
    const retryAfter = String(Math.ceil(window.ttl / 1000))
    done(
      new AppError('RATE_LIMITED', `${options.what} exceeded: ${max} requests per window; retry in ${retryAfter} s`, {
        // The limit headers go out with the 429 only: three more headers on every cached answer
        // cost throughput, and the 429 says everything a client needs.
        headers: { 'x-ratelimit-limit': String(max), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': retryAfter, 'retry-after': retryAfter },
      }),
    )
  }
  // Redis down or hanging (its client fails commands at once, without an offline queue): each
  // instance counts in its own memory for the outage. One client still cannot flood us, since the
  // limit holds per instance, and a cache outage never turns into refusing everyone (fail closed) or
  // into no limit at all (plain fail open).
  const locally = (key: string, done: (error?: AppError) => void) =>
    local.incr(key, (error, window) => (error || !window || window.current <= max ? done() : refuse(window, done)), windowMs, max)
  return {
    take(key, done) {
      store.incr(
        key,
        (error, window) => {
          if (error && store !== local) return locally(key, done)
          if (error || !window || window.current <= max) return done()
          refuse(window, done)
        },
        windowMs,
        max,
      )
    },
  }
}

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
