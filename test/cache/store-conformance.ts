import { setTimeout as sleep } from 'node:timers/promises'
import keyvTestSuite from '@keyv/test-suite'
import Keyv, { type KeyvStoreAdapter } from 'keyv'
import type { Test } from 'tap'
import { vitestOnTap } from './vitest-on-tap.ts'

// One suite for every Keyv store the cache runs on: the official adapter conformance suite
// (@keyv/test-suite: get/set/delete/clear/has, getMany and deleteMany through Keyv, values,
// namespaces), then what the cache relies on beyond it. `makeAdapter` returns a new adapter each call,
// all of them over one backing store (one LRU, one Redis), as the suite's namespace cases expect.

export function runCacheStoreConformance(t: Test, makeAdapter: () => KeyvStoreAdapter): void {
  t.test('@keyv/test-suite', async (t) => {
    keyvTestSuite(vitestOnTap(t) as unknown as Parameters<typeof keyvTestSuite>[0], Keyv, makeAdapter)
  })

  t.test('has() is false once the TTL has passed', async (t) => {
    // The suite checks expiry by freezing Date, which only Keyv's own check sees. has() asks the store
    // alone, so the store must drop the entry at its TTL by its own clock.
    const keyv = new Keyv({ store: makeAdapter(), namespace: 'ttl' })
    await keyv.set('short', 'v', 50)
    await keyv.set('long', 'v', 60_000)
    t.equal(await keyv.has('short'), true)
    await sleep(120)
    t.equal(await keyv.has('short'), false, 'gone from the store itself')
    t.equal(await keyv.get('short'), undefined)
    t.equal(await keyv.has('long'), true)
    await keyv.clear()
  })

  t.test('two Keyv instances on one backing store and namespace share their entries', async (t) => {
    // How two DropForge instances share Redis, and how the cache's Keyv is configured.
    const one = new Keyv({ store: makeAdapter(), namespace: 'shared', useKeyPrefix: false })
    const two = new Keyv({ store: makeAdapter(), namespace: 'shared', useKeyPrefix: false })
    const other = new Keyv({ store: makeAdapter(), namespace: 'other', useKeyPrefix: false })
    await one.set('k', { from: 'one' }, 60_000)
    await other.set('k', { from: 'other' }, 60_000)
    t.same(await two.get('k'), { from: 'one' })
    t.equal(await two.delete('k'), true)
    t.equal(await one.get('k'), undefined, 'a delete by one is seen by the other')
    await one.set('k', 'again', 60_000)
    await two.clear()
    t.equal(await one.get('k'), undefined, 'clear empties the shared namespace')
    t.same(await other.get('k'), { from: 'other' }, 'and only that one')
    await other.clear()
  })
}
