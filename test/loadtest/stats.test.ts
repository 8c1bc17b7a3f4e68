import t from 'tap'
import { criticalPath, LatencyRecorder, slowestSourceMs, summarize } from '../../loadtest/stats.ts'

t.test('nearest-rank percentiles', async (t) => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i)
  const s = summarize(values)
  t.match(s, { count: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 })
  t.match(summarize([7]), { p50: 7, p99: 7, max: 7 })
  t.match(summarize([]), { count: 0, p50: 0 })
})

t.test('the recorder keeps every sample past its initial capacity', async (t) => {
  const recorder = new LatencyRecorder()
  for (let i = 1; i <= 5000; i++) recorder.record(i)
  t.equal(recorder.count, 5000)
  t.match(recorder.summary(), { p50: 2500, p99: 4950, max: 5000 })
})

t.test('the critical path is the slowest of AliExpress, Meta and two YouTube calls', async (t) => {
  const flat = (latencyMs: number) => ({ latencyMs, jitterMs: 0 })
  t.same(criticalPath({ aliexpress: flat(150), facebook: flat(250), youtube: flat(200) }), { nominalMs: 400, medianMs: 400 })
  t.equal(slowestSourceMs({ aliexpress: 150, facebook: 250, youtube: 200 }), 400, 'YouTube: two calls of 200 ms')
  t.equal(criticalPath({ aliexpress: flat(100), facebook: flat(500), youtube: flat(100) }).nominalMs, 500, 'Meta slowest')
  t.equal(criticalPath({ aliexpress: flat(600), facebook: flat(250), youtube: flat(200) }).nominalMs, 600, 'AliExpress slowest')
  const jittered = criticalPath({
    aliexpress: { latencyMs: 150, jitterMs: 30 },
    facebook: { latencyMs: 250, jitterMs: 50 },
    youtube: { latencyMs: 200, jitterMs: 40 },
  })
  t.equal(jittered.nominalMs, 400)
  // YouTube's two calls (400-480 ms) always outlast Meta (250-300 ms): their sum's median, 400 + 20 + 20
  t.ok(Math.abs(jittered.medianMs - 440) < 3, `median ${jittered.medianMs}`)
})
