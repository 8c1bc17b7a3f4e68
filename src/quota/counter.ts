import type { Redis } from 'ioredis'

// Upstream budgets (YouTube's daily units, and any other count every instance must share) live in
// Redis when there is one, so all instances spend one budget; in process memory otherwise.

export interface QuotaCounter {
  /** adds `amount` to the key unless that would pass `limit`; `used` is the count after the call */
  consume(key: string, amount: number, limit: number, expiresAtMs: number): Promise<{ allowed: boolean; used: number }>
  used(key: string): Promise<number>
  close?(): Promise<void>
}

export function createMemoryQuotaCounter(): QuotaCounter {
  const counts = new Map<string, { used: number; expiresAtMs: number }>()

  function live(key: string): { used: number; expiresAtMs: number } | undefined {
    const entry = counts.get(key)
    if (entry && entry.expiresAtMs <= Date.now()) {
      counts.delete(key)
      return undefined
    }
    return entry
  }

  return {
    async consume(key, amount, limit, expiresAtMs) {
      const entry = live(key) ?? { used: 0, expiresAtMs }
      entry.expiresAtMs = expiresAtMs
      counts.set(key, entry)
      if (entry.used + amount > limit) return { allowed: false, used: entry.used }
      entry.used += amount
      return { allowed: true, used: entry.used }
    },
    async used(key) {
      return live(key)?.used ?? 0
    },
  }
}

// Add, check, and take back on overflow in one step, so two instances can never both take the last unit.
const CONSUME_SCRIPT = `
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
local allowed = 1
if used > tonumber(ARGV[2]) then
  used = redis.call('DECRBY', KEYS[1], ARGV[1])
  allowed = 0
end
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return {allowed, used}
`

export interface RedisQuotaCounterOptions {
  keyPrefix?: string
  /** a Redis that accepts the connection but never answers must not stall a validation */
  timeoutMs?: number
  onError?: (err: unknown) => void
}

/**
 * Fails open: when Redis errors or does not answer in time, the call is allowed and counted in this
 * process's memory instead. Refusing every YouTube lookup because the cache is down would be worse
 * than overspending, and overspending is bounded: Google then answers quotaExceeded, which the client
 * records as "spent until midnight Pacific".
 * The Redis client belongs to the caller (create it with enableOfflineQueue: false and a connect
 * timeout so commands fail at once while it is disconnected); this counter never closes it.
 */
export function createRedisQuotaCounter(redis: Redis, options: RedisQuotaCounterOptions = {}): QuotaCounter {
  const prefix = options.keyPrefix ?? 'dropforge:quota:'
  const timeoutMs = options.timeoutMs ?? 1_000
  const fallback = createMemoryQuotaCounter()

  const withTimeout = <T>(work: Promise<T>) => redisWithin(work, timeoutMs)

  return {
    async consume(key, amount, limit, expiresAtMs) {
      try {
        const reply = await withTimeout(redis.eval(CONSUME_SCRIPT, 1, prefix + key, Math.round(amount), Math.floor(limit), Math.ceil(expiresAtMs)))
        const [allowed, used] = reply as [number, number]
        return { allowed: allowed === 1, used: Number(used) }
      } catch (err) {
        options.onError?.(err)
        return fallback.consume(key, amount, limit, expiresAtMs)
      }
    },
    async used(key) {
      try {
        const value = await withTimeout(redis.get(prefix + key))
        return value === null ? 0 : Number(value)
      } catch (err) {
        options.onError?.(err)
        return fallback.used(key)
      }
    },
  }
}

/** A Redis command that rejects when Redis has not answered in `timeoutMs`: callers fall back, never hang. */
export async function redisWithin<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}
