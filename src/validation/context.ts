import type { CacheStatus, EntryTimes } from '../cache/cache.ts'
import type { ScoringWeights } from '../config.ts'
import type { Market } from '../schemas/market.ts'
import type { Validation } from '../schemas/validation.ts'
import type { SourceCache, Timing } from './source-cache.ts'

export type { LoadOptions, Timing } from './source-cache.ts'

// What the service functions (validate.ts, batch.ts, search.ts, suppliers.ts) are given, and what they
// give back to a route.

/** Past validations, read back on a cache miss so a restart does not spend upstream quota again. */
export interface ValidationArchive {
  latestValidation(productId: string, market: Market, now: Date): Promise<Validation | undefined>
}

/** Where finished validations go to be persisted; never awaited by a request. */
export interface ValidationSink {
  enqueue(validation: Validation): boolean
}

export interface ServiceContext {
  sources: SourceCache
  archive?: ValidationArchive
  sink?: ValidationSink
  weights: ScoringWeights
  /** every answer built from the sandbox upstreams says so */
  sandbox: boolean
  now(): Date
  /** how long one validation may wait for the upstreams, all of them together */
  deadlineMs: number
  /** errors from the archive; the request carries on without it */
  onArchiveError(error: unknown): void
  /** validations the archive answered, and misses it could not */
  counters: { archiveHits: number; archiveMisses: number }
}

/** A service answer with how the cache produced it; `entry` says how long it may be served. */
export interface Outcome<T> {
  value: T
  status: CacheStatus
  entry: EntryTimes
  timings: Timing[]
}
