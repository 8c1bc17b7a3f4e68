import { type FastifyRateLimitStore, normalizeIP } from '@fastify/rate-limit'
import LocalStore from '@fastify/rate-limit/store/LocalStore.js'
import RedisStore from '@fastify/rate-limit/store/RedisStore.js'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { AppError } from '../errors.ts'

// A fixed window per client address, counted by @fastify/rate-limit's own stores (an LRU of windows
// in memory, or its Lua script in Redis so that every instance shares the count). Its request hook is
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

async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions) {
  const { max, windowMs } = options
  const local = new LocalStore(false, false, 5000)
  const store: FastifyRateLimitStore = options.redis ? new RedisStore(false, false, options.redis, options.keyPrefix ?? 'dropforge:rl:') : local

  const refuse = (window: { ttl: number }, done: HookHandlerDoneFunction) => {
    const retryAfter = String(Math.ceil(window.ttl / 1000))
    done(
      new AppError('RATE_LIMITED', `Rate limit exceeded: ${max} requests per window; retry in ${retryAfter} s`, {
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
  const locally = (key: string, done: HookHandlerDoneFunction) =>
    local.incr(key, (error, window) => (error || !window || window.current <= max ? done() : refuse(window, done)), windowMs, max)

  const limit: RateLimitHook = (request, _reply, done) => {
    // request.ip honours TRUST_PROXY, so with no trusted proxy a forged X-Forwarded-For changes
    // nothing; IPv6 clients are grouped by /64. An IPv4 address has no colon and nothing to
    // normalize, and it skips the long regular expression of node:net's isIPv6 (0.8k instructions).
    const ip = request.ip
    const key = ip.includes(':') ? normalizeIP(ip) : ip
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
  }

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
