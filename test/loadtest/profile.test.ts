import t from 'tap'
import { type CpuProfile, topSelfTime } from '../../loadtest/profile.ts'

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 })

// root(1) -> handler(2) -> send(3); idle(4). Deltas in microseconds; a sample lasts until the next one.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('handler', 'file:///repo/src/routes/validate.ts', 28) },
    { id: 3, callFrame: frame('send', 'file:///repo/node_modules/fastify/lib/reply.js', 155) },
    { id: 4, callFrame: frame('(idle)') },
  ],
  startTime: 0,
  endTime: 10_000,
  samples: [2, 3, 3, 4, 2],
  timeDeltas: [0, 1000, 3000, 2000, 4000],
}

t.test('self time per function, largest first, with repository-relative locations', async (t) => {
  const top = topSelfTime(profile, { root: '/repo' })
  t.same(
    top.map((e) => [e.functionName, e.location, e.selfMs]),
    [
      ['send', 'node_modules/fastify/lib/reply.js:156', 5],
      ['(idle)', '', 4],
      ['handler', 'src/routes/validate.ts:29', 1],
    ],
  )
  t.equal(Math.round(top.reduce((s, e) => s + e.selfPercent, 0)), 100)
  t.equal(topSelfTime(profile, { limit: 1 }).length, 1)
})

t.test('lastMs keeps only the samples at the end of the profile', async (t) => {
  // samples at 0, 1000, 4000, 6000, 10000 us; the last 5 ms start at 5000 us
  const top = topSelfTime(profile, { lastMs: 5 })
  t.same(
    top.map((e) => e.functionName),
    ['(idle)', 'handler'],
  )
})
