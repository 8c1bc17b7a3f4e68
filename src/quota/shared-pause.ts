import type { Redis } from 'ioredis'
import { redisWithin } from './counter.ts'

// "No calls to this upstream until then", shared by every instance. Meta throttles the app as a whole
// over a rolling hour (https://developers.facebook.com/docs/graph-api/overview/rate-limiting), so one
// instance being told to stop means all must stop. The instant lives in Redis under one key when
// there is a Redis, in this process otherwise; every instance keeps a local copy that answers
// without I/O, and reads the shared one once per lookup (not per page), in at most `timeoutMs`.

export interface SharedPause {
  /** epoch ms until which calls are paused, as this process knows it; no I/O */
  until(): number
  /** merges the shared instant into the local copy; never throws, never waits past its timeout */
  refresh(): Promise<number>
  /**
   * Pauses until `now + statedMs` when the upstream said how long, else for a backoff that doubles
   * with each throttle within `windowMs` of the previous one, from `baseMs` up to `capMs`. A throttle
   * that arrives while already paused (concurrent calls) does not count again. Returns the new instant.
   */
  pause(now: number, statedMs?: number): Promise<number>
}

export interface SharedPauseOptions {
  redis?: Redis
  /** full Redis key of the instant; the strike count lives at `${key}:strikes` */
  key: string
  baseMs: number
  capMs: number
  /** throttles further apart than this start the backoff again from `baseMs` */
  windowMs: number
  timeoutMs?: number
  onError?: (err: unknown) => void
}

// One step, so that two instances throttled at once count one strike and keep the later instant.
const PAUSE_SCRIPT = `
local now = tonumber(ARGV[1])
local stated = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current > now and stated <= 0 then return current end
local wait = stated
if stated <= 0 then
  local strikes = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  wait = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (strikes - 1))
end
local untilMs = math.floor(math.max(current, now + wait))
redis.call('SET', KEYS[1], untilMs, 'PX', math.max(1, untilMs - now))
return untilMs
`

export function createSharedPause(options: SharedPauseOptions): SharedPause {
  const { redis, key, baseMs, capMs, windowMs } = options
  const timeoutMs = options.timeoutMs ?? 100
  let local = 0
  let strikes = 0
  let lastStrike = -Infinity
  let reading: Promise<number> | undefined

  function pauseLocally(now: number, statedMs: number): number {
    if (local > now && statedMs <= 0) return local
    let wait = statedMs
    if (statedMs <= 0) {
      strikes = now - lastStrike > windowMs ? 1 : strikes + 1
      lastStrike = now
      wait = Math.min(capMs, baseMs * 2 ** (strikes - 1))
    }
    local = Math.max(local, now + wait)
    return local
  }

  return {
    until: () => local,
    refresh() {
      if (!redis) return Promise.resolve(local)
      // Concurrent lookups share one read.
      reading ??= redisWithin(redis.get(key), timeoutMs)
        .then((value) => {
          local = Math.max(local, Number(value ?? 0) || 0)
          return local
        })
        .catch((err: unknown) => {
          options.onError?.(err)
          return local
        })
        .finally(() => {
          reading = undefined
        })
      return reading
    },
    async pause(now, statedMs = 0) {
      if (redis) {
        try {
          const shared = await redisWithin(redis.eval(PAUSE_SCRIPT, 2, key, `${key}:strikes`, now, statedMs, baseMs, capMs, windowMs), timeoutMs)
          local = Math.max(local, Number(shared))
          return local
        } catch (err) {
          // Redis away: this instance still stops, counting strikes of its own.
          options.onError?.(err)
        }
      }
      return pauseLocally(now, statedMs)
    },
  }
}
