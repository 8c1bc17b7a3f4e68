import { setTimeout as sleep } from 'node:timers/promises'
import KeyvRedis, { createClient } from '@keyv/redis'
import Keyv from 'keyv'
import { LRUCache } from 'lru-cache'
import type { Logger } from '../logger.ts'
import { LruStore } from './lru-store.ts'

// Keyv is the cache's one storage interface: an LRU bounded by bytes in memory, or Redis shared by
// every instance. Values reach the store serialized by Keyv, so the byte bound counts real bytes.

export interface CacheStoreHandle {
  keyv: Keyv
  kind: 'memory' | 'redis'
  /** bytes held (memory store only) */
  size(): number | undefined
  /** entries held; in Redis, the keys of this namespace (a SCAN: for admin use, not per request) */
  count(): Promise<number>
  /** The keys (as the cache names them) that start with `prefix`; in Redis a SCAN of the keyspace. */
  keysWithPrefix(prefix: string): Promise<string[]>
  /** true while the store can answer (a memory store always can) */
  connected(): boolean
  /** opens the connection now rather than at the first command, waiting `timeoutMs` at most */
  connect?(timeoutMs: number): Promise<void>
  ping(): Promise<void>
  close(): Promise<void>
}

const NAMESPACE = 'df'

/**
 * Plain JSON in and out. Keyv's default (@keyv/serialize) walks every value in JavaScript to escape
 * Buffers and strings that start with a colon; our entries are parsed upstream answers and our own
 * plain objects, never Buffers, and the walk cost about nine times JSON.stringify on a validation
 * (it was 4 % of the API's CPU on cold validations). Entries written with the old escapes live under
 * an older key version (src/validation/source-cache.ts), so none is read back with this codec.
 */
const JSON_CODEC = { serialize: JSON.stringify, deserialize: JSON.parse }

/**
 * lru-cache's per-entry slots and map entry, and V8's string headers; the last 16 are the two doubles
 * (start, TTL) lru-cache keeps per entry once entries carry a TTL (LruStore gives them one).
 */
const ENTRY_OVERHEAD_BYTES = 112

/**
 * What V8 holds for a string: one byte a character when every character is Latin-1, two otherwise.
 * Counting an ASCII JSON string at two bytes a character (as this did before) let the cache hold only
 * half of CACHE_MEMORY_MAX_BYTES. Non-ASCII Latin-1 counts double here: an overcount, never an under.
 */
export function stringBytes(s: string): number {
  return Buffer.byteLength(s, 'utf8') === s.length ? s.length : s.length * 2
}

/** An LRU of serialized entries bounded by the bytes they hold, as createMemoryStore uses. */
export function createByteBoundedLru(maxBytes: number): LRUCache<string, string> {
  return new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => stringBytes(value) + stringBytes(key) + ENTRY_OVERHEAD_BYTES,
  })
}

export function createMemoryStore(maxBytes: number): CacheStoreHandle {
  const lru = createByteBoundedLru(maxBytes)
  // The adapter prefixes keys with the namespace itself (as @keyv/redis does): Keyv must not add its own.
  const keyv = new Keyv({ store: new LruStore(lru), namespace: NAMESPACE, useKeyPrefix: false, throwOnErrors: true, ...JSON_CODEC })
  const store = keyv.store as LruStore
  return {
    keyv,
    kind: 'memory',
    size: () => lru.calculatedSize,
    count: async () => lru.size,
    keysWithPrefix: async (prefix) => store.keysWithPrefix(prefix),
    connected: () => true,
    ping: async () => {},
    close: async () => {
      lru.clear()
    },
  }
}

export function createRedisStore(url: string, logger: Pick<Logger, 'warn'>, options: { namespace?: string } = {}): CacheStoreHandle {
  // No offline queue and a short connect timeout: while Redis is down every command fails at once
  // (and the cache treats it as a miss) instead of queueing behind a reconnect forever.
  const client = createClient({
    url,
    disableOfflineQueue: true,
    // Reconnect attempts at most a second apart, so the cache is shared again (and readiness says so)
    // within about a second of Redis coming back.
    socket: { connectTimeout: 1_000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 1_000) },
  })
  let lastLogged = 0
  const logError = (error: unknown) => {
    // A dead Redis errors on every reconnect attempt; one line every 10 s is enough to notice.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now()
      logger.warn({ err: error }, 'redis cache store error; serving from memory and upstreams')
    }
  }
  client.on('error', logError)
  const adapter = new KeyvRedis(client, { throwOnConnectError: false, throwOnErrors: false, connectionTimeout: 1_000 })
  adapter.on('error', logError)
  const namespace = options.namespace ?? NAMESPACE
  const keyv = new Keyv({ store: adapter, namespace, useKeyPrefix: false, ...JSON_CODEC })
  keyv.on('error', logError)
  const stored = (pattern: string) => `${namespace}${adapter.keyPrefixSeparator}${pattern}`
  async function scan(pattern: string): Promise<string[]> {
    const found: string[] = []
    for await (const keys of client.scanIterator({ MATCH: stored(pattern), COUNT: 1000 })) found.push(...keys)
    return found
  }
  return {
    keyv,
    kind: 'redis',
    size: () => undefined,
    count: async () => (await scan('*')).length,
    keysWithPrefix: async (prefix) => (await scan(`${globEscape(prefix)}*`)).map((key) => key.slice(stored('').length)),
    connected: () => client.isReady,
    async connect(timeoutMs) {
      // A failed first attempt is not final: the client keeps reconnecting by itself.
      if (client.isOpen) return
      const opening = client.connect().catch(() => {})
      await Promise.race([opening, sleep(timeoutMs, undefined, { ref: false })])
    },
    async ping() {
      if (!client.isReady) throw new Error('redis is not connected')
      await client.ping()
    },
    async close() {
      if (!client.isOpen) return
      // A hung Redis never answers, and close() waits for pending replies: give it a second, then cut.
      const closed = client.close().then(
        () => true,
        () => true,
      )
      const finished = await Promise.race([closed, sleep(1_000).then(() => false)])
      if (!finished && client.isOpen) client.destroy()
    },
  }
}

/** A literal for Redis's MATCH: its glob characters escaped. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`)
}
