import t from 'tap'
import { idealHitRate, zipfSampler } from '../../loadtest/zipf.ts'

t.test('ranks stay in range and the same seed gives the same sequence', async (t) => {
  const a = zipfSampler(50, 1, 'seed')
  const b = zipfSampler(50, 1, 'seed')
  const first = Array.from({ length: 1000 }, a)
  t.same(Array.from({ length: 1000 }, b), first)
  t.ok(first.every((r) => Number.isInteger(r) && r >= 0 && r < 50))
  t.not(Array.from({ length: 1000 }, zipfSampler(50, 1, 'other')).join(), first.join())
})

t.test('s=1 gives the most popular item 1/H(n) of the requests, the k-th 1/k of that', async (t) => {
  const n = 100
  const harmonic = Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b)
  const sample = zipfSampler(n, 1, 'freq')
  const counts = new Array(n).fill(0)
  const draws = 50_000
  for (let i = 0; i < draws; i++) counts[sample()]++
  t.ok(Math.abs(counts[0] / draws - 1 / harmonic) < 0.01, `rank 0 share ${counts[0] / draws} vs ${1 / harmonic}`)
  t.ok(Math.abs(counts[1] / counts[0] - 0.5) < 0.05, `rank 1 / rank 0 = ${counts[1] / counts[0]}`)
  t.ok(Math.abs(counts[9] / counts[0] - 0.1) < 0.03, `rank 9 / rank 0 = ${counts[9] / counts[0]}`)
})

t.test('s=0 is uniform', async (t) => {
  const sample = zipfSampler(10, 0, 'flat')
  const counts = new Array(10).fill(0)
  for (let i = 0; i < 20_000; i++) counts[sample()]++
  t.ok(counts.every((c) => Math.abs(c - 2000) < 200), counts.join(','))
})

t.test('rejects a size or exponent it cannot sample', async (t) => {
  t.throws(() => zipfSampler(0, 1, 'x'), RangeError)
  t.throws(() => zipfSampler(1.5, 1, 'x'), RangeError)
  t.throws(() => zipfSampler(10, -1, 'x'), RangeError)
})

t.test('the ideal hit rate misses exactly the first request of each item', async (t) => {
  t.equal(idealHitRate([1, 1, 2, 3]), 0.25)
  t.equal(idealHitRate(['a', 'a', 'a', 'a']), 0.75)
  t.equal(idealHitRate([]), 0)
})
