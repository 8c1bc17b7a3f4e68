import { isDeepStrictEqual } from 'node:util'
import type { Test } from 'tap'

// @keyv/test-suite is written for vitest, but all it uses is test.it / beforeEach / afterEach and
// the test context's expect with a handful of matchers (its dist/index.js imports nothing of
// vitest at run time). This maps those onto tap, so its cases run here unchanged. A matcher it
// starts using that is missing here throws a TypeError and fails the case: nothing passes unchecked.

type Matcher = (expected?: unknown) => void

interface Expect {
  (actual: unknown): Record<string, Matcher> & { not: Record<string, Matcher> }
  assertions(count: number): void
}

const PREDICATES: Record<string, (actual: unknown, expected: unknown) => boolean> = {
  toBe: (actual, expected) => Object.is(actual, expected),
  // Stricter than vitest's toEqual (an undefined property counts): it can only fail more, never pass more.
  toEqual: (actual, expected) => isDeepStrictEqual(actual, expected),
  toBeTruthy: (actual) => !!actual,
  toBeFalsy: (actual) => !actual,
  toBeUndefined: (actual) => actual === undefined,
  toBeDefined: (actual) => actual !== undefined,
  toBeNull: (actual) => actual === null,
}

function makeExpect(t: Test): { expect: Expect; done(): void } {
  let made = 0
  let planned: number | undefined
  const matchers = (actual: unknown, negate: boolean) =>
    Object.fromEntries(
      Object.entries(PREDICATES).map(([name, predicate]) => [
        name,
        (expected?: unknown) => {
          made++
          const pass = predicate(actual, expected) !== negate
          t.ok(pass, `expect(actual)${negate ? '.not' : ''}.${name}(${name === 'toBe' || name === 'toEqual' ? 'expected' : ''})`, { found: actual, wanted: expected })
        },
      ]),
    ) as Record<string, Matcher>
  const expect = ((actual: unknown) => ({ ...matchers(actual, false), not: matchers(actual, true) })) as Expect
  expect.assertions = (count) => {
    planned = count
  }
  return {
    expect,
    done() {
      if (planned !== undefined) t.equal(made, planned, `expect.assertions(${planned})`)
    },
  }
}

/** What @keyv/test-suite takes as vitest's `test`, running each case as a tap subtest of `t`. */
export function vitestOnTap(t: Test) {
  return {
    beforeEach(fn: () => unknown) {
      t.beforeEach(async () => {
        await fn()
      })
    },
    afterEach(fn: () => unknown) {
      t.afterEach(async () => {
        await fn()
      })
    },
    it(name: string, fn: (context: { expect: Expect }) => unknown) {
      t.test(name, async (t) => {
        const { expect, done } = makeExpect(t)
        await fn({ expect })
        done()
      })
    },
  }
}
