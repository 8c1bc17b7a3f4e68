import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createAliexpressSandbox } from '../../src/sandbox/aliexpress.ts'
import { sandboxIdOfKind } from '../../src/sandbox/catalogue.ts'
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/credentials.ts'
import { createFacebookSandbox } from '../../src/sandbox/facebook.ts'
import { createYoutubeSandbox } from '../../src/sandbox/youtube.ts'
import { createAliexpressClient } from '../../src/sources/aliexpress/client.ts'
import { createFacebookClient } from '../../src/sources/facebook/client.ts'
import { createYoutubeClient } from '../../src/sources/youtube/client.ts'
import { createMemoryQuotaCounter } from '../../src/quota/counter.ts'
import { DEFAULT_MARKET } from '../../src/schemas/market.ts'

// Each source's circuit breaker, through the real client against its sandbox: outages open it,
// an open circuit answers at once without a call, one probe after the cool-down closes it again.

const FAST = { latencyMs: 0, jitterMs: 0 }
const CIRCUIT = { threshold: 3, cooldownMs: 400 }
const NOW = new Date()

t.test('Meta: three 503s open the circuit; it then answers in < 50 ms without a call, and recovers after the cool-down', async (t) => {
  const sandbox = await createFacebookSandbox({ behaviour: { ...FAST, fault: 'http503', faultRate: 1 } })
  t.teardown(() => sandbox.close())
  const client = createFacebookClient({ graphUrl: sandbox.url, ...SANDBOX_CREDENTIALS.facebook, adCountries: ['DE'], timeoutMs: 1_000, circuit: CIRCUIT })
  t.teardown(() => client.close())

  for (let i = 0; i < CIRCUIT.threshold; i++) t.match(await client.adStats(`led strip ${i}`, NOW), { status: 'unavailable', outage: true })
  const calls = sandbox.totalCalls()
  t.match(await client.state(new Date()), { circuit: 'open', retryAt: String })

  const times: number[] = []
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const skipped = await client.adStats(`garden lamp ${i}`, NOW)
    const ms = performance.now() - started
    times.push(ms)
    // No I/O at all: only a GC pause or a busy shared machine (npm test runs two files at once) can slow one.
    t.ok(ms < 500, `answered in ${ms.toFixed(1)} ms`)
    t.match(skipped, { status: 'unavailable', reason: /circuit open after 3 failures in a row, until \d{4}-/, retryAfterMs: Number })
  }
  t.equal(sandbox.totalCalls(), calls, 'no call while the circuit is open')
  t.ok(times.filter((ms) => ms < 50).length >= 18, `at least 18 of 20 in < 50 ms: ${times.map((ms) => ms.toFixed(1)).join(', ')}`)

  sandbox.setBehaviour({ faultRate: 0 })
  await sleep(CIRCUIT.cooldownMs + 20)
  t.match(await client.state(new Date()), { circuit: 'half_open' }, 'past the cool-down the next call is a probe')
  t.equal((await client.adStats('led strip', NOW)).status, 'ok', 'the probe succeeds')
  t.match(await client.state(new Date()), { circuit: 'closed' })
})

t.test('Meta: a failed probe opens the circuit again; business answers and throttling never open it', async (t) => {
  const sandbox = await createFacebookSandbox({ behaviour: { ...FAST, fault: 'timeout', faultRate: 1 } })
  t.teardown(() => sandbox.close())
  const client = createFacebookClient({ graphUrl: sandbox.url, ...SANDBOX_CREDENTIALS.facebook, adCountries: ['DE'], timeoutMs: 200, circuit: CIRCUIT })
  t.teardown(() => client.close())
  for (let i = 0; i < CIRCUIT.threshold; i++) await client.adStats(`timeout ${i}`, NOW)
  t.match(await client.state(new Date()), { circuit: 'open' })
  await sleep(CIRCUIT.cooldownMs + 20)
  t.match(await client.adStats('probe', NOW), { status: 'unavailable', outage: true }, 'the probe times out')
  t.match(await client.state(new Date()), { circuit: 'open' }, 'and the circuit opens again')

  const wrongToken = createFacebookClient({ graphUrl: sandbox.url, accessToken: 'not-the-token', adCountries: ['DE'], timeoutMs: 1_000, circuit: CIRCUIT })
  t.teardown(() => wrongToken.close())
  sandbox.setBehaviour({ faultRate: 0 })
  for (let i = 0; i < 6; i++) t.equal((await wrongToken.adStats(`refused ${i}`, NOW)).status, 'not_configured')
  t.match(await wrongToken.state(new Date()), { circuit: 'closed' }, 'a refused token is an answer, not an outage')
})

t.test('YouTube: an open circuit answers before any quota is taken', async (t) => {
  const sandbox = await createYoutubeSandbox({ behaviour: { ...FAST, fault: 'http500', faultRate: 1 } })
  t.teardown(() => sandbox.close())
  const quota = createMemoryQuotaCounter()
  const client = createYoutubeClient({
    apiUrl: sandbox.url,
    ...SANDBOX_CREDENTIALS.youtube,
    timeoutMs: 1_000,
    searchDailyLimit: 100,
    dailyQuota: 10_000,
    searchCost: 'bucket',
    quota,
    circuit: CIRCUIT,
  })
  t.teardown(() => client.close())
  for (let i = 0; i < CIRCUIT.threshold; i++) t.match(await client.videoStats(`lamp ${i}`, 'US', NOW), { status: 'unavailable', outage: true })
  const left = await client.quota(NOW)
  const calls = sandbox.totalCalls()
  t.match(await client.videoStats('lamp', 'US', NOW), { status: 'unavailable', reason: /circuit open/ })
  t.equal(sandbox.totalCalls(), calls)
  t.same(await client.quota(NOW), left, 'no search taken from the day')
})

t.test('AliExpress: HTML answers count as outages; quota and not-found do not', async (t) => {
  const sandbox = await createAliexpressSandbox({ behaviour: { ...FAST, fault: 'html', faultRate: 1 } })
  t.teardown(() => sandbox.close())
  const client = createAliexpressClient({ apiUrl: sandbox.url, ...SANDBOX_CREDENTIALS.aliexpress, timeoutMs: 1_000, circuit: CIRCUIT })
  t.teardown(() => client.close())
  const id = sandboxIdOfKind('strong', 1)
  for (let i = 0; i < CIRCUIT.threshold; i++) t.match(await client.getProducts([id], DEFAULT_MARKET), { status: 'unavailable', outage: true })
  t.match(await client.searchProducts({ keywords: 'lamp', page: 1, pageSize: 10 }, DEFAULT_MARKET), { status: 'unavailable', reason: /circuit open/ })
  t.match(await client.state(new Date()), { circuit: 'open' })
})
