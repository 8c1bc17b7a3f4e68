import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger.ts'
import type { Cache } from './cache.ts'

// Dropping cached answers everywhere: the shared store, this instance's own layers, and, through a
// Redis channel, the own layers of every other instance (each keeps a local copy and prepared bytes).

export interface Invalidation {
  /** drops these keys from every layer of every instance */
  keys(keys: readonly string[]): Promise<void>
  /** drops everything this service cached, everywhere */
  all(): Promise<void>
  close(): Promise<void>
}

export interface InvalidationOptions {
  cache: Cache
  /** this instance's prepared bytes, keyed like the cache */
  prepared: { delete(key: string): unknown; clear(): void }
  /** shared Redis: the channel reaches every instance; without it there is only this one */
  redis?: Redis
  channel: string
  log: Pick<Logger, 'warn'>
}

type Scope = { keys: string[] } | { all: true }
type Message = Scope & { from: string }

export async function createInvalidation(options: InvalidationOptions): Promise<Invalidation> {
  const { cache, prepared, redis, channel } = options
  const self = randomUUID()

  /** This instance's own layers: its prepared bytes and its local copy of the shared store. */
  async function dropOwn(scope: Scope) {
    if ('all' in scope) {
      prepared.clear()
      await cache.clearLocal()
      return
    }
    for (const key of scope.keys) prepared.delete(key)
    await cache.deleteLocal(scope.keys)
  }

  // A connection of its own: a subscribed Redis connection can do nothing else. ioredis resubscribes
  // after a reconnect by itself.
  const subscriber = redis?.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: true })
  if (subscriber) {
    subscriber.on('error', () => {}) // the command client already logs Redis trouble
    subscriber.on('message', (_channel: string, text: string) => {
      const message = parse(text)
      // The sender already dropped the shared copy; what is left is each instance's own layers.
      if (message && message.from !== self) {
        dropOwn(message).catch((err: unknown) => options.log.warn({ err }, 'dropping invalidated entries failed'))
      }
    })
    try {
      await subscriber.connect()
      await subscriber.subscribe(channel)
    } catch (err) {
      options.log.warn({ err }, 'invalidation channel not subscribed: this instance will not hear of invalidations until Redis answers')
    }
  }

  async function broadcast(scope: Scope) {
    if (!redis) return
    const message: Message = { ...scope, from: self }
    await redis.publish(channel, JSON.stringify(message)).catch((err: unknown) => {
      options.log.warn({ err }, 'invalidation not broadcast: other instances keep their local copies until they expire')
    })
  }

  return {
    async keys(keys) {
      await dropOwn({ keys: [...keys] })
      await Promise.all(keys.map((key) => cache.delete(key)))
      await broadcast({ keys: [...keys] })
    },
    async all() {
      prepared.clear()
      await cache.clear()
      await broadcast({ all: true })
    },
    async close() {
      subscriber?.disconnect()
    },
  }
}

function parse(text: string): Message | undefined {
  try {
    const message = JSON.parse(text) as Message
    return typeof message.from === 'string' && ('all' in message || Array.isArray(message.keys)) ? message : undefined
  } catch {
    return undefined
  }
}
