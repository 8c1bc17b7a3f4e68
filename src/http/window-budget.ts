import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import LocalStore from '@fastify/rate-limit/store/LocalStore.js'
import RedisStore from '@fastify/rate-limit/store/RedisStore.js'
import type { Redis } from 'ioredis'
import { AppError } from '../errors.ts'

// A fixed window per key, counted by @fastify/rate-limit's own stores: an LRU of windows in memory, or
// its Lua script in Redis so that every instance shares the count. The rate limit (src/plugins/rate-limit.ts)
// and the refresh budget (src/http/cached-get.ts) are two of them, keyed by client.

export interface WindowBudgetOptions {
  max: number
  windowMs: number
  /** shared counters across instances; without it each instance counts alone */
  redis?: Redis
  keyPrefix?: string
}

/** A fixed-window budget per key, counted by @fastify/rate-limit's stores. */
export interface WindowBudget {
  /** counts one use; `done` gets a RATE_LIMITED error once the key is over its budget */
  take(key: string, done: (error?: AppError) => void): void
}

export function createWindowBudget(options: WindowBudgetOptions & { what: string }): WindowBudget {
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
