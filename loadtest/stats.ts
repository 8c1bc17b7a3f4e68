import { seeded } from '../src/sandbox/random.ts'

// Latency arithmetic the load suite reports with: exact percentiles of recorded samples, and the
// upstream critical path of one uncached validation in the sandbox.

/** Every response time of a scenario, kept whole so percentiles are exact rather than bucketed. */
export class LatencyRecorder {
  #values = new Float64Array(1024)
  #count = 0

  record(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2)
      grown.set(this.#values)
      this.#values = grown
    }
    this.#values[this.#count++] = ms
  }

  get count(): number {
    return this.#count
  }

  summary(): LatencySummary {
    return summarize(this.#values.subarray(0, this.#count))
  }
}

export interface LatencySummary {
  count: number
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
}

/** Nearest-rank percentiles (the value at or below which p% of the samples fall). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort()
  const n = sorted.length
  if (n === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 }
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!
  let sum = 0
  for (let i = 0; i < n; i++) sum += sorted[i]!
  return { count: n, p50: at(50), p95: at(95), p99: at(99), max: sorted[n - 1]!, mean: sum / n }
}

export interface UpstreamLatency {
  latencyMs: number
  /** uniform extra latency, 0..jitterMs, as the sandbox adds it */
  jitterMs: number
}

export interface CriticalPath {
  /** without jitter */
  nominalMs: number
  /** median including the sandbox's jitter */
  medianMs: number
}

/** The slowest source's latency, from the sandbox's per-call latencies: YouTube's is two calls in a row. */
export function slowestSourceMs(perCall: { aliexpress: number; facebook: number; youtube: number }): number {
  return Math.max(perCall.aliexpress, perCall.facebook, 2 * perCall.youtube)
}

/**
 * One uncached validation with the caller's keywords asks all three sources at once, so it waits for
 * the slowest of AliExpress, Meta (one page) and YouTube, which is two calls in a row (search.list,
 * then videos.list). Without keywords, Meta and YouTube wait for the AliExpress title instead.
 */
export function criticalPath(up: { aliexpress: UpstreamLatency; facebook: UpstreamLatency; youtube: UpstreamLatency }, draws = 20_001): CriticalPath {
  const nominalMs = slowestSourceMs({ aliexpress: up.aliexpress.latencyMs, facebook: up.facebook.latencyMs, youtube: up.youtube.latencyMs })
  const random = seeded('critical-path')
  const one = (u: UpstreamLatency) => u.latencyMs + random.next() * u.jitterMs
  const samples = new Float64Array(draws)
  for (let i = 0; i < draws; i++) samples[i] = Math.max(one(up.aliexpress), one(up.facebook), one(up.youtube) + one(up.youtube))
  return { nominalMs, medianMs: summarize(samples).p50 }
}
