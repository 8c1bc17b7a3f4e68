import type { KeyvStoreAdapter, StoredData } from 'keyv'
import type { LRUCache } from 'lru-cache'

// A Keyv store adapter over lru-cache, held to the same conformance suite as @keyv/redis
// (test/cache/store-conformance.test.ts). Like @keyv/redis it prefixes keys with its namespace itself,
// so that several Keyv instances can share one LRU and clear() empties only its own namespace.

export class LruStore implements KeyvStoreAdapter {
  readonly lru: LRUCache<string, string>
  /** set by Keyv to its own namespace */
  namespace: string | undefined
  readonly opts: Record<string, unknown> = {}

  constructor(lru: LRUCache<string, string>) {
    this.lru = lru
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    // Keyv hands stores its serialized string and parses what comes back: the Value type is Keyv's, not ours.
    return this.lru.get(this.#key(key)) as StoredData<Value> | undefined
  }

  async set(key: string, value: string, ttl?: number): Promise<boolean> {
    // Keyv passes the TTL as a bare number; lru-cache wants it in an options object (a bare number
    // throws). Keyv also keeps the expiry inside the value, but has() asks the store alone, so the LRU
    // must drop the entry itself.
    if (ttl !== undefined && ttl <= 0) {
      this.lru.delete(this.#key(key))
      return true
    }
    this.lru.set(this.#key(key), value, ttl === undefined ? undefined : { ttl: Math.ceil(ttl) })
    return true
  }

  async delete(key: string): Promise<boolean> {
    return this.lru.delete(this.#key(key))
  }

  async has(key: string): Promise<boolean> {
    return this.lru.has(this.#key(key))
  }

  async clear(): Promise<void> {
    if (this.namespace === undefined) {
      this.lru.clear()
      return
    }
    const prefix = this.#key('')
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key)
  }

  /** The keys of this namespace that start with `prefix`, without the namespace. */
  keysWithPrefix(prefix: string): string[] {
    const full = this.#key(prefix)
    const start = this.#key('').length
    const found: string[] = []
    for (const key of this.lru.keys()) if (key.startsWith(full)) found.push(key.slice(start))
    return found
  }

  /** Keyv listens for 'error'; an in-process LRU has none to report. */
  on(): this {
    return this
  }

  #key(key: string): string {
    return this.namespace === undefined ? key : `${this.namespace}:${key}`
  }
}
