import type Keyv from 'keyv'
import { type LoadLock, waitForShared } from './redis-lock.ts'

// The cache every upstream answer and every validation goes through: a Keyv store (a byte-bounded
// LRU in memory, or Redis) with freshness and a stale grace period kept inside each entry, one
// loader per key at a time (single-flight, across instances too when a lock is given), stale-if-error,
// and a read deadline so a hung Redis never hangs a request.

export type CacheStatus = 'HIT' | 'MISS' | 'STALE'

/** When an entry was stored and how long it may be served; epoch ms. */
export interface EntryTimes {
  storedAt: number
  /** fresh until then */
  freshUntil: number
  /** then served stale, while one refresh runs, until this */
  staleUntil: number
}

export interface Entry<T> extends EntryTimes {
  value: T
}

export interface Loaded<T> {
  value: T
  /** how long the value stays fresh; failures use a short one */
  ttlMs: number
}

export interface Lookup<T> {
  value: T
  status: CacheStatus
  entry: Entry<T>
}

export interface CacheCounters {
  /** answers found, by the layer that had them */
  localHits: number
  storeHits: number
  hits: number
  misses: number
  stale: number
  loads: number
  refreshFailures: number
  /** a load failed transiently and the stale entry was kept and served instead */
  staleIfError: number
  /** loads another instance made for us (we waited for its entry) */
  sharedWaits: number
  storeErrors: number
  storeTimeouts: number
}

export interface Cache {
  /** `refresh` skips what is stored and loads anew (still one load per key at a time) */
  getOrLoad<T>(key: string, load: () => Promise<Loaded<T>>, options?: { refresh?: boolean }): Promise<Lookup<T>>
  peek<T>(key: string): Promise<Entry<T> | undefined>
  set<T>(key: string, loaded: Loaded<T>): Promise<Entry<T>>
  delete(key: string): Promise<void>
  /** drops keys from this instance's own layer only (another instance changed the shared store) */
  deleteLocal(keys: readonly string[]): Promise<void>
  clearLocal(): Promise<void>
  clear(): Promise<void>
  counters(): CacheCounters
  /** resolves when every background refresh started so far has settled (tests, shutdown) */
  idle(): Promise<void>
}

export interface CacheOptions {
  store: Keyv
  /**
   * A small in-process layer in front of a shared `store` (Redis): hits skip the network, and while
   * Redis is down or hanging this layer keeps serving what this instance has seen.
   */
  local?: Keyv
  /** how long an entry may be served stale after its fresh TTL */
  staleGraceMs: number
  /** give up on a store read or write after this long and carry on as a miss */
  storeTimeoutMs?: number
  now?: () => number
  onRefreshError?: (key: string, error: unknown) => void
  /**
   * A loaded value that says the source failed for now (unavailable, rate limited, quota spent): it
   * does not replace an entry still within its stale grace, which is served instead (stale-if-error).
   */
  isTransientFailure?: (value: unknown) => boolean
  /** with a shared store: one instance loads a key while the others wait for its entry */
  lock?: LoadLock
  /** how long a waiter waits for another instance's entry before loading itself */
  lockWaitMs?: number
}

export function createCache(options: CacheOptions): Cache {
  const { store, local, staleGraceMs } = options
  const storeTimeoutMs = options.storeTimeoutMs ?? 150
  const now = options.now ?? Date.now
  const inflight = new Map<string, Promise<Entry<unknown>>>()
  const refreshing = new Set<Promise<unknown>>()
  const counters: CacheCounters = { localHits: 0, storeHits: 0, hits: 0, misses: 0, stale: 0, loads: 0, refreshFailures: 0, staleIfError: 0, sharedWaits: 0, storeErrors: 0, storeTimeouts: 0 }
  const isTransientFailure = options.isTransientFailure ?? (() => false)
  const lockWaitMs = options.lockWaitMs ?? 10_000

  const withDeadline = <T>(op: Promise<T>) => settleWithin(op, storeTimeoutMs, counters)

  const isEntry = <T>(value: unknown): value is Entry<T> => !!value && typeof value === 'object' && 'storedAt' in value

  async function peek<T>(key: string): Promise<Entry<T> | undefined> {
    const near = local ? ((await local.get(key)) as unknown) : undefined
    if (isEntry<T>(near) && now() < near.freshUntil) {
      counters.localHits++
      return near
    }
    const far = (await withDeadline(store.get(key))) as unknown
    if (isEntry<T>(far)) {
      counters.storeHits++
      if (local && far.staleUntil > now()) await local.set(key, far, far.staleUntil - now())
      return far
    }
    // Redis has nothing (or did not answer): what this instance still holds, even stale, beats a miss.
    return isEntry<T>(near) ? near : undefined
  }

  async function set<T>(key: string, loaded: Loaded<T>): Promise<Entry<T>> {
    const storedAt = now()
    const freshUntil = storedAt + loaded.ttlMs
    const entry: Entry<T> = { value: loaded.value, storedAt, freshUntil, staleUntil: freshUntil + staleGraceMs }
    // The stores drop the entry themselves once even the grace period is over.
    await Promise.all([local?.set(key, entry, loaded.ttlMs + staleGraceMs), withDeadline(store.set(key, entry, loaded.ttlMs + staleGraceMs))])
    return entry
  }

  /** Loads and stores, unless the load failed for now and an entry within its grace can stand instead. */
  async function loadAndSet<T>(key: string, load: () => Promise<Loaded<T>>): Promise<Entry<T>> {
    counters.loads++
    const loaded = await load()
    if (isTransientFailure(loaded.value)) {
      const prior = await peek<T>(key)
      if (prior && now() < prior.staleUntil && !isTransientFailure(prior.value)) {
        counters.staleIfError++
        return prior
      }
    }
    return set(key, loaded)
  }

  async function sharedEntry<T>(key: string): Promise<Entry<T> | undefined> {
    const far = (await withDeadline(store.get(key))) as unknown
    if (!isEntry<T>(far) || now() >= far.freshUntil) return undefined
    counters.sharedWaits++
    if (local) await local.set(key, far, far.staleUntil - now())
    return far
  }

  /** One load per key in this process and, with a lock, across instances. */
  function loadOnce<T>(key: string, load: () => Promise<Loaded<T>>): Promise<Entry<T>> {
    const running = inflight.get(key)
    if (running) return running as Promise<Entry<T>>
    const promise = (async () => {
      try {
        let attempt = options.lock ? await options.lock.acquire(key) : undefined
        if (attempt?.kind === 'held') {
          const waited = await waitForShared(key, options.lock!, () => sharedEntry<T>(key), lockWaitMs)
          if ('entry' in waited) return waited.entry
          attempt = waited.attempt
        }
        try {
          return await loadAndSet(key, load)
        } finally {
          if (attempt?.kind === 'acquired') await attempt.release()
        }
      } finally {
        inflight.delete(key)
      }
    })()
    inflight.set(key, promise)
    return promise
  }

  async function getOrLoad<T>(key: string, load: () => Promise<Loaded<T>>, opts?: { refresh?: boolean }): Promise<Lookup<T>> {
    // A load already running for this key means we missed too: join it rather than read the store.
    const running = inflight.get(key) as Promise<Entry<T>> | undefined
    const entry = running || opts?.refresh ? undefined : await peek<T>(key)
    const t = now()
    if (entry && t < entry.freshUntil) {
      counters.hits++
      return { value: entry.value, status: 'HIT', entry }
    }
    if (entry && t < entry.staleUntil) {
      counters.stale++
      if (!inflight.has(key)) {
        const refresh = loadOnce(key, load)
          .catch((error) => {
            // The stale entry stays in place: serving old data beats serving an error.
            counters.refreshFailures++
            options.onRefreshError?.(key, error)
          })
          .finally(() => refreshing.delete(refresh))
        refreshing.add(refresh)
      }
      return { value: entry.value, status: 'STALE', entry }
    }
    counters.misses++
    const asked = now()
    const fresh = await (running ?? loadOnce(key, load))
    // stale-if-error hands back an entry older than this request, past its freshness.
    return { value: fresh.value, status: fresh.freshUntil <= asked ? 'STALE' : 'MISS', entry: fresh }
  }

  return {
    getOrLoad,
    peek,
    set,
    async delete(key) {
      await Promise.all([local?.delete(key), withDeadline(store.delete(key))])
    },
    async deleteLocal(keys) {
      if (local) await Promise.all(keys.map((key) => local.delete(key)))
    },
    async clearLocal() {
      await local?.clear()
    },
    async clear() {
      await Promise.all([local?.clear(), withDeadline(store.clear())])
    },
    counters: () => ({ ...counters }),
    async idle() {
      while (refreshing.size > 0) await Promise.allSettled([...refreshing])
    },
  }
}

/** A store operation's result, or undefined when it failed or took longer than `ms` (counted). */
async function settleWithin<T>(op: Promise<T>, ms: number, counters: CacheCounters): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      counters.storeTimeouts++
      resolve(undefined)
    }, ms)
  })
  try {
    return await Promise.race([op, timeout])
  } catch {
    counters.storeErrors++
    return undefined
  } finally {
    clearTimeout(timer)
  }
}
