import type { Validation } from '../schemas/validation.ts'
import { StoreError } from './errors.ts'
import type { Logger } from '../logger.ts'
import type { ValidationStore } from './types.ts'

export interface WriteBehindOptions {
  maxQueue?: number
  batchSize?: number
  flushIntervalMs?: number
  retryBaseMs?: number
  retryMaxMs?: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
}

export interface WriteBehindStats {
  /** validations waiting, including the batch being written */
  depth: number
  written: number
  failedFlushes: number
  /** refused by enqueue because the queue was full (or closed) */
  dropped: number
  /** rows the database refused as invalid (constraint or data errors): they can never be written */
  rejected: number
  /** duration of the last successful batch write */
  lastFlushMs: number
  lastError?: string
}

export interface WriteBehind {
  /** Never waits: false when the validation was dropped because the queue is full or closed. */
  enqueue(validation: Validation): boolean
  /** Writes until the queue is empty; rejects with the store's error when a write fails. */
  flush(): Promise<void>
  /** Stops the timer and writes everything, retrying, for at most timeoutMs; logs what is left. */
  close(timeoutMs?: number): Promise<void>
  stats(): WriteBehindStats
}

/**
 * A bounded queue in front of a store. A validation leaves the queue only after the upsert that holds
 * it succeeded, so a failed or ambiguous write (the connection died after COMMIT) is written again, and
 * the idempotent upsert makes that second write add nothing.
 *
 * When the queue is full the NEW validation is dropped, not the oldest: the queued ones are already
 * answered and older, and a newer validation of the same product will be made again on its next
 * request, while dropping old ones would churn the whole queue during a long outage. Each drop is
 * counted and logged.
 */
export function createWriteBehind(store: ValidationStore, options: WriteBehindOptions = {}): WriteBehind {
  const maxQueue = options.maxQueue ?? 50_000
  const batchSize = options.batchSize ?? 500
  const flushIntervalMs = options.flushIntervalMs ?? 250
  const retryBaseMs = options.retryBaseMs ?? 200
  const retryMaxMs = options.retryMaxMs ?? 5_000
  const logger = options.logger

  const queue: Validation[] = []
  const stats = { written: 0, failedFlushes: 0, dropped: 0, rejected: 0, lastFlushMs: 0, lastError: undefined as string | undefined }
  let consecutiveFailures = 0
  let retryAt = 0
  let closed = false
  let running: Promise<void> | undefined
  let retryTimer: NodeJS.Timeout | undefined
  let droppedSinceLog = 0
  let kickScheduled = false

  const timer = setInterval(() => kick(), flushIntervalMs)
  timer.unref()

  function kick(): void {
    if (running || queue.length === 0 || Date.now() < retryAt) return
    drain().catch(() => {
      // logged and counted in drain; the next tick or the backoff timer tries again
    })
  }

  /** One writer at a time; concurrent callers share the run in progress. */
  function drain(): Promise<void> {
    if (running) return running
    running = (async () => {
      try {
        while (queue.length > 0) await writeBatch()
      } finally {
        running = undefined
      }
    })()
    return running
  }

  async function writeBatch(): Promise<void> {
    const batch = queue.slice(0, batchSize)
    const started = performance.now()
    try {
      await store.saveValidations(batch)
    } catch (err) {
      if (isPermanent(err)) {
        await writeOneByOne(batch)
        return
      }
      noteFailure(err, batch.length)
      throw err
    }
    stats.lastFlushMs = performance.now() - started
    settle(batch.length)
  }

  // One invalid row fails its whole batch; written alone, the good rows go in and only it is given up.
  async function writeOneByOne(batch: Validation[]): Promise<void> {
    for (const validation of batch) {
      try {
        await store.saveValidations([validation])
        stats.written++
      } catch (err) {
        if (!isPermanent(err)) {
          // Only the rows before this one are done; this one and the rest stay queued.
          noteFailure(err, batch.length)
          throw err
        }
        stats.rejected++
        logger?.error(
          { err: (err as Error).message, code: (err as StoreError).code, productId: validation.productId, validatedAt: validation.validatedAt },
          'validation rejected by the database and not persisted',
        )
      }
      queue.shift()
    }
    consecutiveFailures = 0
    retryAt = 0
  }

  function settle(count: number): void {
    queue.splice(0, count)
    stats.written += count
    if (consecutiveFailures > 0) logger?.info({ after: consecutiveFailures, depth: queue.length }, 'persistence recovered')
    consecutiveFailures = 0
    retryAt = 0
  }

  function noteFailure(err: unknown, batchLength: number): void {
    stats.failedFlushes++
    consecutiveFailures++
    stats.lastError = err instanceof Error ? err.message : String(err)
    const delay = backoff(consecutiveFailures)
    retryAt = Date.now() + delay
    clearTimeout(retryTimer)
    retryTimer = setTimeout(kick, delay)
    retryTimer.unref()
    logger?.warn(
      { err: stats.lastError, batch: batchLength, depth: queue.length, retryInMs: Math.round(delay), failures: consecutiveFailures },
      'persisting validations failed; will retry',
    )
  }

  // Exponential with "equal jitter": at least half the step, so instances that failed together spread out.
  function backoff(failures: number): number {
    const step = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures - 1, 30))
    return step / 2 + Math.random() * (step / 2)
  }

  return {
    enqueue(validation) {
      if (closed || queue.length >= maxQueue) {
        stats.dropped++
        droppedSinceLog++
        // One line per burst rather than one per request while the queue stays full.
        if (droppedSinceLog === 1 || droppedSinceLog % 1_000 === 0) {
          logger?.error(
            { dropped: stats.dropped, depth: queue.length, maxQueue, closed, productId: validation.productId },
            'persistence queue full or closed; validation not persisted',
          )
        }
        return false
      }
      droppedSinceLog = 0
      queue.push(validation)
      // A full batch goes out now rather than at the next tick; setImmediate keeps enqueue synchronous.
      if (queue.length >= batchSize && !running && !kickScheduled) {
        kickScheduled = true
        setImmediate(() => {
          kickScheduled = false
          kick()
        })
      }
      return true
    },
    flush: () => drain(),
    async close(timeoutMs = 10_000) {
      closed = true
      clearInterval(timer)
      const deadline = Date.now() + timeoutMs
      while (queue.length > 0 && Date.now() < deadline) {
        try {
          await beforeDeadline(drain(), deadline)
        } catch {
          const wait = Math.max(0, Math.min(retryAt, deadline) - Date.now())
          await new Promise((resolve) => setTimeout(resolve, wait))
        }
      }
      clearTimeout(retryTimer)
      if (queue.length > 0) {
        logger?.error({ lost: queue.length, lastError: stats.lastError }, 'shutting down with validations not persisted')
      }
    },
    stats: () => ({
      depth: queue.length,
      written: stats.written,
      failedFlushes: stats.failedFlushes,
      dropped: stats.dropped,
      rejected: stats.rejected,
      lastFlushMs: stats.lastFlushMs,
      ...(stats.lastError === undefined ? {} : { lastError: stats.lastError }),
    }),
  }
}

// The stores turn every database and network failure into a StoreError; anything else thrown is our own
// code failing on this data (a value JSON cannot encode), which no retry would fix.
function isPermanent(err: unknown): boolean {
  return !(err instanceof StoreError) || err.permanent
}

// A write that hangs (a dead connection before its query timeout) must not hold shutdown past the deadline.
async function beforeDeadline(work: Promise<void>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))])
  } finally {
    clearTimeout(timer)
  }
}
