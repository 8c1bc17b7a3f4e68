import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { QuotaCounter } from '../../src/quota/counter.ts'

// One suite for every QuotaCounter (in memory, in Redis): what the YouTube client relies on when it
// reserves units before a call, charges retries with no limit, and marks a day spent.

export interface QuotaCounterSubject {
  /** a new counter over the one backing store of this run */
  make(): QuotaCounter
  /** set when two counters from make() cannot share a count, saying why (the case is then skipped with it) */
  notShared?: string
}

const HOUR = 3_600_000

export function runQuotaCounterConformance(t: Test, subject: QuotaCounterSubject): void {
  let counter: QuotaCounter
  t.before(() => {
    counter = subject.make()
  })
  // Each case on keys of its own, so that runs on one Redis never meet.
  const newKey = () => `key-${randomUUID()}`

  t.test('consumes within the limit, up to the limit exactly', async (t) => {
    const key = newKey()
    const expires = Date.now() + HOUR
    t.same(await counter.consume(key, 3, 5, expires), { allowed: true, used: 3 })
    t.same(await counter.consume(key, 2, 5, expires), { allowed: true, used: 5 }, 'exactly up to the limit is allowed')
    t.equal(await counter.used(key), 5)
  })

  t.test('a refused consume takes nothing', async (t) => {
    const key = newKey()
    const expires = Date.now() + HOUR
    await counter.consume(key, 3, 5, expires)
    t.same(await counter.consume(key, 3, 5, expires), { allowed: false, used: 3 }, 'refused, the count unchanged')
    t.equal(await counter.used(key), 3)
    t.same(await counter.consume(key, 2, 5, expires), { allowed: true, used: 5 }, 'what still fits is allowed after a refusal')
    t.same(await counter.consume(key, 1, 5, expires), { allowed: false, used: 5 })
    const empty = newKey()
    t.same(await counter.consume(empty, 6, 5, expires), { allowed: false, used: 0 }, 'more than the whole limit, on a new key')
    t.equal(await counter.used(empty), 0)
  })

  t.test('keys are independent, and an unknown key has used nothing', async (t) => {
    const [a, b] = [newKey(), newKey()]
    await counter.consume(a, 4, 5, Date.now() + HOUR)
    t.equal(await counter.used(b), 0)
    t.same(await counter.consume(b, 5, 5, Date.now() + HOUR), { allowed: true, used: 5 })
    t.equal(await counter.used(a), 4)
  })

  t.test('Number.MAX_SAFE_INTEGER as the limit always allows (retries are charged with it)', async (t) => {
    const key = newKey()
    await counter.consume(key, 10_000, 10_000, Date.now() + HOUR)
    t.same(await counter.consume(key, 300, Number.MAX_SAFE_INTEGER, Date.now() + HOUR), { allowed: true, used: 10_300 })
    t.same(await counter.consume(key, 1, 10_000, Date.now() + HOUR), { allowed: false, used: 10_300 }, 'and then the real limit refuses')
  })

  t.test('a count is gone once its expiresAtMs has passed', async (t) => {
    const key = newKey()
    const expires = Date.now() + 100
    await counter.consume(key, 5, 5, expires)
    t.equal(await counter.used(key), 5)
    t.same(await counter.consume(key, 1, 5, expires), { allowed: false, used: 5 })
    await sleep(Math.max(0, expires - Date.now()) + 50)
    t.equal(await counter.used(key), 0, 'a new day starts from zero')
    t.same(await counter.consume(key, 1, 5, Date.now() + HOUR), { allowed: true, used: 1 })
  })

  t.test('a consume whose expiresAtMs is already past leaves no count', async (t) => {
    const key = newKey()
    await counter.consume(key, 4, 5, Date.now() - 1)
    t.equal(await counter.used(key), 0)
  })

  t.test('each consume sets the expiry: the latest expiresAtMs wins', async (t) => {
    const key = newKey()
    await counter.consume(key, 1, 5, Date.now() + 100)
    await counter.consume(key, 1, 5, Date.now() + HOUR)
    await sleep(150)
    t.equal(await counter.used(key), 2, 'kept past the first expiry')
  })

  t.test('concurrent consumes never pass the limit', async (t) => {
    const key = newKey()
    const results = await Promise.all(Array.from({ length: 40 }, () => counter.consume(key, 1, 17, Date.now() + HOUR)))
    const allowed = results.filter((r) => r.allowed)
    t.equal(allowed.length, 17)
    t.same(
      allowed.map((r) => r.used).sort((a, b) => a - b),
      Array.from({ length: 17 }, (_v, i) => i + 1),
      'each allowed consume saw its own count',
    )
    t.ok(
      results.filter((r) => !r.allowed).every((r) => r.used === 17),
      'every refusal saw the full count',
    )
    t.equal(await counter.used(key), 17)
  })

  t.test('two counters share one count', { skip: subject.notShared ?? false }, async (t) => {
    const other = subject.make()
    const key = newKey()
    const expires = Date.now() + HOUR
    t.same(await counter.consume(key, 2, 3, expires), { allowed: true, used: 2 })
    t.same(await other.consume(key, 2, 3, expires), { allowed: false, used: 2 }, 'the other one sees the first one’s count')
    t.same(await other.consume(key, 1, 3, expires), { allowed: true, used: 3 })
    t.equal(await counter.used(key), 3)

    const race = newKey()
    const results = await Promise.all(Array.from({ length: 30 }, (_v, i) => (i % 2 ? counter : other).consume(race, 1, 7, expires)))
    t.equal(results.filter((r) => r.allowed).length, 7, 'together they never pass the limit')
    t.equal(await other.used(race), 7)
  })
}
