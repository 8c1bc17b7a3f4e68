import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

export interface RateLimitOptions {
  max: number
  windowMs: number
  /** shared counters across instances; without it each instance counts alone */
  redis?: Redis
}

async function rateLimitPlugin(app: FastifyInstance, options: RateLimitOptions) {
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    // The default key is request.ip (which honours TRUST_PROXY, so with no trusted proxy a forged
    // X-Forwarded-For changes nothing), IPv6 grouped by /64; a custom keyGenerator would cost an
    // await per request.
    // The limit headers go out with the 429 only: three more headers on every cached answer cost
    // throughput, and the 429 says everything a client needs (Retry-After).
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    ...(options.redis ? { redis: options.redis, nameSpace: 'df-rl:' } : {}),
    // Fail open: if Redis is down we keep answering (the upstream caches and quotas still protect us)
    // rather than turn a cache outage into a full outage.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => {
      // Thrown to the app's error handler, which answers in the public error shape.
      return Object.assign(new Error(`Rate limit exceeded: ${context.max} requests per window; retry in ${context.after}`), { statusCode: 429 })
    },
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit' })
