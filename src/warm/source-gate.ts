import { setTimeout as sleep } from 'node:timers/promises'
import pLimit from 'p-limit'
import type { Sources } from '../app.ts'
import type { SourceFailure, SourceResult, SourceState } from '../validation/sources.ts'

// What stands between the warmer's service and each source client, in the warmer's process only (the
// servers' clients are untouched). It bounds the calls in flight to each source, and it stops asking a
// source that has said it cannot answer:
// - spent (an answer quota_exhausted, or state(now) with a budget used up): every later call is
//   answered here with that failure until the reset the source named, so nothing reaches the client;
// - asked to wait (rate_limited with a retry time, or state(now).pausedUntil): calls are held until
//   then and go through afterwards; a wait longer than maxHoldMs is treated as spent instead.
// The service caches what it gets from here like any answer. Replayed failures carry the source's own
// status and the time left before the source's own retry time, so what the shared cache and the
// database receive is what a server asking the source in that window would have received.

export type SourceName = keyof Sources
export const SOURCE_NAMES: readonly SourceName[] = ['aliexpress', 'facebook', 'youtube']

export interface SourceStop {
  status: 'quota_exhausted' | 'rate_limited'
  reason: string
  /** ISO instant the warmer stopped asking */
  at: string
  /** ISO instant the source said it can answer again; absent when it did not say */
  until?: string
}

export interface GateReport {
  /** calls passed to the source client */
  calls: number
  /** calls answered here because the source was spent */
  refused: number
  /** total time calls were held because the source asked us to wait */
  heldMs: number
  /** the first time the warmer stopped asking, if it did */
  stop?: SourceStop
  /** the source's own account of itself, as last read */
  state?: SourceState
}

export interface SourceGate {
  readonly name: SourceName
  run<T>(call: () => Promise<SourceResult<T>>): Promise<SourceResult<T>>
  /** reads the source's state(now): a spent budget stops it, a pause holds it */
  observe(now: Date): Promise<void>
  /** the failure every call gets now, when the source is spent */
  spent(now: number): SourceFailure | undefined
  /** epoch ms until which calls are held (0: not held) */
  heldUntil(): number
  report(): GateReport
}

export interface GateOptions {
  /** calls in flight to this source at most */
  concurrency: number
  /** a wait longer than this is treated like a spent budget */
  maxHoldMs: number
  clock?: () => number
}

interface Stopped {
  failure: SourceFailure
  until: number
}

export function createSourceGate(name: SourceName, source: { state(now: Date): Promise<SourceState> }, options: GateOptions): SourceGate {
  const clock = options.clock ?? Date.now
  const limit = pLimit(options.concurrency)
  const counts = { calls: 0, refused: 0, heldMs: 0 }
  let stopped: Stopped | undefined
  let firstStop: SourceStop | undefined
  let holdUntil = 0
  let state: SourceState | undefined

  function stop(failure: SourceFailure, until: number, now: number): void {
    if (stopped && stopped.until >= until) return
    stopped = { failure: { status: failure.status, reason: failure.reason }, until }
    if (firstStop) return
    const status = failure.status === 'quota_exhausted' ? 'quota_exhausted' : 'rate_limited'
    firstStop = { status, reason: failure.reason, at: new Date(now).toISOString(), ...(Number.isFinite(until) ? { until: new Date(until).toISOString() } : {}) }
  }

  function hold(failure: SourceFailure, until: number, now: number): void {
    if (until - now > options.maxHoldMs) stop(failure, until, now)
    else holdUntil = Math.max(holdUntil, until)
  }

  function learn(result: SourceResult<unknown>, now: number): void {
    if (result.status === 'quota_exhausted') stop(result, now + (result.retryAfterMs ?? Number.POSITIVE_INFINITY), now)
    // Without a retry time the source gave no pause to respect; the service caches the answer briefly.
    else if (result.status === 'rate_limited' && result.retryAfterMs !== undefined) hold(result, now + result.retryAfterMs, now)
  }

  function spent(now: number): SourceFailure | undefined {
    if (!stopped || now >= stopped.until) return undefined
    const left = stopped.until - now
    return Number.isFinite(left) ? { ...stopped.failure, retryAfterMs: left } : { ...stopped.failure }
  }

  return {
    name,
    run: (call) =>
      limit(async () => {
        for (;;) {
          const now = clock()
          const refusal = spent(now)
          if (refusal) {
            counts.refused++
            return refusal
          }
          if (holdUntil <= now) break
          counts.heldMs += holdUntil - now
          await sleep(holdUntil - now)
        }
        counts.calls++
        const result = await call()
        learn(result, clock())
        return result
      }),

    async observe(at) {
      state = await source.state(at)
      const now = at.getTime()
      for (const budget of state.budgets) {
        // A budget with no reset (a rolling usage share) is the source's own to pace: it pauses itself.
        if (!budget.resetsAt || budget.used < budget.limit) continue
        const failure: SourceFailure = { status: 'quota_exhausted', reason: `${name} ${budget.name} budget is spent (${budget.used} of ${budget.limit})` }
        stop(failure, Date.parse(budget.resetsAt), now)
      }
      const paused = state.pausedUntil ? Date.parse(state.pausedUntil) : 0
      if (paused > now) hold({ status: 'rate_limited', reason: `${name} paused its calls until ${state.pausedUntil}` }, paused, now)
    },

    spent,
    heldUntil: () => holdUntil,
    report: () => ({ ...counts, ...(firstStop ? { stop: firstStop } : {}), ...(state ? { state } : {}) }),
  }
}

export type Gates = Record<SourceName, SourceGate>

/** The sources with a gate in front of each; `gates` is filled when buildApp calls `wrap`. */
export function gatedSources(options: GateOptions): { wrap(sources: Sources): Sources; gates(): Gates } {
  let gates: Gates | undefined
  return {
    wrap(sources) {
      const { aliexpress, facebook, youtube } = sources
      const g: Gates = {
        aliexpress: createSourceGate('aliexpress', aliexpress, options),
        facebook: createSourceGate('facebook', facebook, options),
        youtube: createSourceGate('youtube', youtube, options),
      }
      gates = g
      return {
        aliexpress: {
          getProducts: (ids, market, signal) => g.aliexpress.run(() => aliexpress.getProducts(ids, market, signal)),
          searchProducts: (search, market, signal) => g.aliexpress.run(() => aliexpress.searchProducts(search, market, signal)),
          freight: (productId, market, signal) => g.aliexpress.run(() => aliexpress.freight(productId, market, signal)),
          state: (now) => aliexpress.state(now),
        },
        facebook: {
          adStats: (terms, now, signal) => g.facebook.run(() => facebook.adStats(terms, now, signal)),
          state: (now) => facebook.state(now),
        },
        youtube: {
          videoStats: (terms, region, now, signal) => g.youtube.run(() => youtube.videoStats(terms, region, now, signal)),
          quota: (now) => youtube.quota(now),
          state: (now) => youtube.state(now),
        },
      }
    },
    gates() {
      if (!gates) throw new Error('the sources were never built')
      return gates
    },
  }
}
