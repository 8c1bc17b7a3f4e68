import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Redis } from 'ioredis'
import { redisWithin } from '../quota/counter.ts'

// "One instance loads this key; the others wait for its entry": a short Redis lock per key (SET NX PX,
// https://redis.io/docs/latest/commands/set/), renewed while its holder loads, released by the holder
// only (the token), and expiring by itself if the holder dies. Every command has a short timeout: a
// Redis that is down or hanging makes the lock `unavailable`, and the caller loads on its own.

export type LockAttempt = { kind: 'acquired'; release(): Promise<void> } | { kind: 'held' } | { kind: 'unavailable' }

export interface LoadLock {
  acquire(key: string): Promise<LockAttempt>
}

export interface RedisLoadLockOptions {
  /** full prefix of the lock keys */
  prefix: string
  /** how long a lock outlives a holder that stopped renewing it */
  ttlMs?: number
  timeoutMs?: number
  onError?: (err: unknown) => void
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`

export function createRedisLoadLock(redis: Redis, options: RedisLoadLockOptions): LoadLock {
  const ttlMs = options.ttlMs ?? 2_000
  const timeoutMs = options.timeoutMs ?? 100
  const quietly = (work: Promise<unknown>) =>
    redisWithin(work, timeoutMs).catch((err: unknown) => {
      options.onError?.(err)
    })

  return {
    async acquire(key) {
      const lockKey = options.prefix + key
      const token = randomUUID()
      let reply: string | null
      try {
        reply = await redisWithin(redis.set(lockKey, token, 'PX', ttlMs, 'NX'), timeoutMs)
      } catch (err) {
        options.onError?.(err)
        return { kind: 'unavailable' }
      }
      if (reply !== 'OK') return { kind: 'held' }
      // Renewed while the load runs, so the TTL can stay short for the case where the holder dies.
      const renew = setInterval(() => void quietly(redis.eval(RENEW, 1, lockKey, token, ttlMs)), ttlMs / 3)
      renew.unref()
      return {
        kind: 'acquired',
        async release() {
          clearInterval(renew)
          await quietly(redis.eval(RELEASE, 1, lockKey, token))
        },
      }
    },
  }
}

// How often a waiter looks for the entry another instance is loading: small next to an upstream call.
const POLL_MS = 20

/**
 * Waits for the entry another instance is loading (`read` gives it once stored and fresh). When the
 * lock goes away without an entry (the holder died, or stored nothing) we take the lock and load;
 * when Redis goes away, or after `waitMs`, we load without it.
 */
export async function waitForShared<E>(key: string, lock: LoadLock, read: () => Promise<E | undefined>, waitMs: number): Promise<{ entry: E } | { attempt: LockAttempt }> {
  const until = Date.now() + waitMs
  while (Date.now() < until) {
    await sleep(POLL_MS)
    const entry = await read()
    if (entry) return { entry }
    const attempt = await lock.acquire(key)
    if (attempt.kind === 'held') continue
    // The holder may have stored its entry and let go between our read and our lock.
    const late = attempt.kind === 'acquired' ? await read() : undefined
    if (late && attempt.kind === 'acquired') {
      await attempt.release()
      return { entry: late }
    }
    return { attempt }
  }
  return { attempt: { kind: 'unavailable' } }
}
