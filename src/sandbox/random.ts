import { createHash } from 'node:crypto'

// Deterministic pseudo-random numbers seeded by a string, so the same product id or search terms
// always produce the same simulated data in every process.

export interface Random {
  /** uniform in [0, 1) */
  next(): number
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  /** log-uniform in [min, max]: realistic for counts spanning orders of magnitude */
  logUniform(min: number, max: number): number
}

export function seeded(seed: string): Random {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0)
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    logUniform: (min, max) => Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min))),
  }
}

/** A hex string that is a pure function of the seed, for ids and image names. */
export function hexOf(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length)
}
