import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhenResult } from 'cockatiel'
import type { SourceResult, SourceState } from '../validation/sources.ts'

// One circuit breaker per upstream, by cockatiel (https://github.com/connor4312/cockatiel): after
// `threshold` outages in a row (no answer, 5xx, an unreadable body: results flagged `outage`) the
// source is skipped at once for `cooldownMs`, then one probe call decides whether it closes again.
// Business answers (not found, a bad parameter, a refused key) and throttling never count: the
// upstream is up and said something, and throttling has its own pause and budgets.

export interface CircuitOptions {
  /** how the source is named in reasons, e.g. "Meta Ad Library" */
  label: string
  threshold: number
  cooldownMs: number
}

export const CIRCUIT_DEFAULTS = { threshold: 5, cooldownMs: 30_000 }

export interface Circuit {
  run<T>(call: () => Promise<SourceResult<T>>): Promise<SourceResult<T>>
  state(now: Date): Pick<SourceState, 'circuit' | 'retryAt'>
}

const isOutage = (result: unknown) => (result as { outage?: boolean } | undefined)?.outage === true

export function createCircuit(options: CircuitOptions): Circuit {
  const { label, threshold, cooldownMs } = options
  const policy = circuitBreaker(handleWhenResult(isOutage), { halfOpenAfter: cooldownMs, breaker: new ConsecutiveBreaker(threshold) })
  // cockatiel measures the cool-down with Date.now from the moment it opens; so does this copy.
  let retryAt = 0
  policy.onBreak(() => {
    retryAt = Date.now() + cooldownMs
  })

  return {
    async run(call) {
      try {
        return await policy.execute(() => call())
      } catch (err) {
        if (!(err instanceof BrokenCircuitError)) throw err
        const probing = policy.state === CircuitState.HalfOpen
        const until = new Date(Math.max(retryAt, Date.now()))
        return {
          status: 'unavailable',
          reason: probing
            ? `${label} skipped: its circuit is half-open and one probe call is under way`
            : `${label} skipped: circuit open after ${threshold} failures in a row, until ${until.toISOString()}`,
          retryAfterMs: Math.max(0, until.getTime() - Date.now()),
        }
      }
    },
    state(now) {
      const state = policy.state
      if (state === CircuitState.Closed) return { circuit: 'closed' }
      if (state === CircuitState.HalfOpen) return { circuit: 'half_open' }
      // Open past its cool-down: the next call is the probe.
      return retryAt <= now.getTime() ? { circuit: 'half_open' } : { circuit: 'open', retryAt: new Date(retryAt).toISOString() }
    },
  }
}
