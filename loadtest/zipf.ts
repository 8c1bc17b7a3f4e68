import { seeded } from '../src/sandbox/random.ts'

// Zipf popularity: the k-th most popular of n items (k from 1) is asked for with weight 1/k^s. Real
// catalogues look like this: a few products are validated again and again, most only once or twice.

/** A sampler of 0-based ranks (0 = most popular) by inverse CDF; deterministic for a given seed. */
export function zipfSampler(n: number, s: number, seed: string): () => number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('n must be a positive integer')
  if (!(s >= 0)) throw new RangeError('s must be >= 0')
  const cdf = new Float64Array(n)
  let total = 0
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s
    cdf[k] = total
  }
  for (let k = 0; k < n; k++) cdf[k]! /= total
  const random = seeded(seed)
  return () => {
    const u = random.next()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/** The best hit rate any cache can reach on this sequence: every first request of an item misses. */
export function idealHitRate(sequence: ArrayLike<number | string>): number {
  if (sequence.length === 0) return 0
  const seen = new Set<number | string>()
  for (let i = 0; i < sequence.length; i++) seen.add(sequence[i]!)
  return 1 - seen.size / sequence.length
}
