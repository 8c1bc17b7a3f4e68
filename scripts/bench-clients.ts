import { request } from 'undici'
import { startSandbox } from '../src/sandbox/index.ts'
import { createAliexpressClient } from '../src/sources/aliexpress/client.ts'
import { createFacebookClient } from '../src/sources/facebook/client.ts'
import { createYoutubeClient } from '../src/sources/youtube/client.ts'
import { createMemoryQuotaCounter } from '../src/quota/counter.ts'
import { SANDBOX_CREDENTIALS } from '../src/sandbox/credentials.ts'

// What a client adds on top of the upstream's own latency (signing, parsing, retries machinery),
// measured against the sandbox with zero latency, relative to a bare undici request of the same
// answer in the same run. `node scripts/bench-clients.ts [calls]`

const calls = Number(process.argv[2] ?? 2000)
const sandbox = await startSandbox({ aliexpress: { latencyMs: 0, jitterMs: 0 }, facebook: { latencyMs: 0, jitterMs: 0 }, youtube: { latencyMs: 0, jitterMs: 0 }, youtubeSearchDailyLimit: 1e9, facebookAppCallBudget: 1e9 })
const timeoutMs = 5000
const aliexpress = createAliexpressClient({ ...SANDBOX_CREDENTIALS.aliexpress, apiUrl: sandbox.aliexpress.url, timeoutMs })
const facebook = createFacebookClient({ ...SANDBOX_CREDENTIALS.facebook, graphUrl: sandbox.facebook.url, adCountries: ['DE', 'FR'], timeoutMs, pageLimit: 1000, maxPages: 1 })
const youtube = createYoutubeClient({ ...SANDBOX_CREDENTIALS.youtube, apiUrl: sandbox.youtube.url, timeoutMs, searchDailyLimit: 1e9, dailyQuota: 1e12, searchCost: 'bucket', quota: createMemoryQuotaCounter() })

async function time(name: string, run: (i: number) => Promise<unknown>, httpCalls: () => number) {
  for (let i = 0; i < 50; i++) await run(i) // warm up pools and JIT
  const before = httpCalls()
  const started = performance.now()
  for (let i = 0; i < calls; i++) await run(i)
  const ms = (performance.now() - started) / calls
  const perHttp = ms / ((httpCalls() - before) / calls)
  return { name, msPerCall: ms, msPerHttpRequest: perHttp }
}

const now = new Date()
const market = { country: 'US', currency: 'USD' }
const baselineUrl = `${sandbox.youtube.url}/videos?part=statistics&id=abc&key=${SANDBOX_CREDENTIALS.youtube.apiKey}`
const results = [
  await time('bare undici request (baseline)', async () => (await request(baselineUrl)).body.text(), () => sandbox.youtube.totalCalls()),
  await time('aliexpress getProducts (1 id)', (i) => aliexpress.getProducts([`100500612345${String(6780 + i).padStart(4, '0')}`.slice(0, 15) + '1'], market), () => sandbox.aliexpress.totalCalls()),
  await time('facebook adStats (1 page)', (i) => facebook.adStats(`led lamp ${i % 97}`, now), () => sandbox.facebook.totalCalls()),
  await time('youtube videoStats (search + videos)', (i) => youtube.videoStats(`led lamp ${i % 97}`, 'US', now), () => sandbox.youtube.totalCalls()),
]
const base = results[0]!.msPerHttpRequest
console.log(`node ${process.version}, ${calls} sequential calls each, sandbox latency 0 ms`)
console.log('| call | ms per call | ms per HTTP request | x baseline request |\n| --- | --- | --- | --- |')
for (const r of results) console.log(`| ${r.name} | ${r.msPerCall.toFixed(3)} | ${r.msPerHttpRequest.toFixed(3)} | ${(r.msPerHttpRequest / base).toFixed(2)} |`)
await Promise.all([aliexpress.close(), facebook.close(), youtube.close(), sandbox.close()])
