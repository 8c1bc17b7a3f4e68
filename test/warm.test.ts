import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { sandboxIdOfKind } from '../src/sandbox/catalogue.ts'
import type { Sandbox } from '../src/sandbox/index.ts'
import { createStore } from '../src/store/index.ts'
import { warmCommand } from '../src/warm/command.ts'
import { buildTestApp, redisTestEnv, startTestSandbox } from './helper.ts'
import { makeValidation } from './store/helpers.ts'

// `npm run warm` against the sandbox upstreams: run as the real command (a child process, stdout a
// pipe) where the cache is shared through Redis, in-process (warmCommand) where only its own answers
// are looked at. Both read the same environment variables the server does.

const run = promisify(execFile)
const NO_REDIS = 'REDIS_URL is not set: start Redis and set it to run the tests that share a warmed cache'
const ROOT = new URL('..', import.meta.url).pathname

/** The environment of a server on this sandbox, as the warmer and a server read it. */
function sandboxEnv(sandbox: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    SANDBOX: 'true',
    PERSISTENCE: 'off',
    ALIEXPRESS_API_URL: sandbox.aliexpress.url,
    FACEBOOK_GRAPH_URL: sandbox.facebook.url,
    YOUTUBE_API_URL: sandbox.youtube.url,
    UPSTREAM_TIMEOUT_MS: '2000',
    YOUTUBE_SEARCH_DAILY_LIMIT: '1000000',
    YOUTUBE_DAILY_QUOTA: '100000000',
    ...extra,
  }
}

async function fileOf(t: Test, lines: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dropforge-warm-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'products.txt')
  await writeFile(path, `${lines.join('\n')}\n`)
  return path
}

/** warmCommand in this process, its output collected as a pipe would (not a TTY). */
async function warmHere(argv: string[], env: Record<string, string>) {
  let stdout = ''
  let stderr = ''
  const code = await warmCommand(argv, {
    env,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  })
  return { code, stdout, stderr }
}

const ids = (kind: 'strong' | 'average' | 'weak' | 'unknown', from: number, n: number) => Array.from({ length: n }, (_, i) => sandboxIdOfKind(kind, from + i))

const SKIP_NO_REDIS = process.env.REDIS_URL ? false : NO_REDIS

t.test('npm run warm on 200 ids: progress lines, then every product is served from the cache without an upstream call', { skip: SKIP_NO_REDIS }, async (t) => {
  const redis = redisTestEnv(t)!
  const sandbox = await startTestSandbox(t, { facebookAppCallBudget: 1_000_000 })
  const good = [...ids('strong', 1000, 65), ...ids('average', 1000, 65), ...ids('weak', 1000, 65)]
  const unknown = ids('unknown', 1000, 5)
  const file = await fileOf(t, [
    '# products to keep warm',
    '',
    ...good.slice(0, 100),
    `https://www.aliexpress.com/item/${good[0]}.html`,
    'https://www.amazon.com/dp/B000000',
    ...unknown,
    ...good.slice(100),
  ])
  const env = { ...process.env, ...sandboxEnv(sandbox, redis) }
  const warm = () => run('npm', ['run', '--silent', 'warm', '--', file, '--concurrency', '4'], { cwd: ROOT, env, timeout: 90_000 })

  const first = await warm()
  const progress = first.stdout.split('\n').filter((line) => /^warm: \d+\/200 /.test(line))
  t.ok(progress.length >= 10, `progress lines (${progress.length})`)
  t.match(progress.at(-1), /^warm: 200\/200 \(100%\)/)
  t.notOk(first.stdout.includes('\r') || first.stdout.includes('\u001b['), 'no bar redrawing on a pipe')
  t.match(first.stdout, /requested\s+202 \(200 distinct\)/)
  t.match(first.stdout, /validated\s+195\n/)
  t.match(first.stdout, /failed\s+5 \(PRODUCT_NOT_FOUND 5\)/)
  t.match(first.stderr, /line 104: "https:\/\/www.amazon.com\/dp\/B000000" is not an AliExpress product/)
  // Multi-id AliExpress calls (the client sends 20 ids a call: 3 for each batch of 50), shipping once
  // per product (the freight API takes one product a call); Meta and YouTube once per search terms at most.
  const ae = (method: string) => sandbox.aliexpress.calls.get(method) ?? 0
  t.ok(ae('productdetail.get') <= 12, `AliExpress product calls: ${ae('productdetail.get')}`)
  t.ok(ae('aliexpress.ds.freight.query') <= good.length, `AliExpress shipping calls: ${ae('aliexpress.ds.freight.query')}`)
  t.ok(sandbox.facebook.totalCalls() <= good.length, `Meta calls: ${sandbox.facebook.totalCalls()}`)
  t.ok((sandbox.youtube.calls.get('search.list') ?? 0) <= good.length, `YouTube searches: ${sandbox.youtube.calls.get('search.list')}`)
  t.ok(sandbox.youtube.totalCalls() <= 2 * good.length, `YouTube calls: ${sandbox.youtube.totalCalls()}`)

  sandbox.resetCalls()
  const second = await warm()
  t.match(second.stdout, /already cached\s+195\n/, 'a second warm finds them all')
  t.match(second.stdout, /validated\s+0\n/)
  t.equal(sandbox.totalCalls(), 0, 'and asks nothing upstream')

  const { app } = await buildTestApp(t, { env: redis, sandbox })
  sandbox.resetCalls()
  for (const id of good) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}/validation` })
    if (res.statusCode !== 200 || res.headers['x-cache'] !== 'HIT') {
      t.fail(`${id}: ${res.statusCode} ${res.headers['x-cache']}`)
      break
    }
  }
  const notFound = await app.inject({ method: 'GET', url: `/api/v1/products/${unknown[0]}/validation` })
  t.equal(notFound.statusCode, 404, 'an unknown product is answered from its cached failure')
  t.equal(sandbox.totalCalls(), 0, 'the server answered all of them from the warmed cache')
})

t.test('YouTube spent mid-warm: the warm completes, YouTube is not asked again, the summary says so', async (t) => {
  const sandbox = await startTestSandbox(t, { youtubeSearchDailyLimit: 10, facebookAppCallBudget: 1_000_000 })
  const good = [...ids('strong', 2000, 40), ...ids('average', 2000, 40)]
  const file = await fileOf(t, good)
  // The client's own count is far from its limit: Google (the sandbox) is the one that says no.
  const { code, stdout } = await warmHere([file, '--concurrency', '4'], sandboxEnv(sandbox))
  t.equal(code, 0, stdout)
  t.match(stdout, /validated\s+80\n/, 'every product validated, without YouTube where it was spent')
  t.match(stdout, /youtube\s+.*quota_exhausted \d+/)
  t.match(stdout, /RAN OUT \(quota_exhausted\) at .*daily quota exceeded/)
  const refused = Number(/youtube\s+[^\n]*; \d+ asked, (\d+) answered by the warmer/.exec(stdout)?.[1])
  t.ok(refused > 0, `the gate answered ${refused} calls itself`)
  const searches = sandbox.youtube.calls.get('search.list') ?? 0
  // Calls already in flight when the first refusal came back can still arrive: 4 at most.
  t.ok(searches <= 10 + 4, `YouTube searches: ${searches}`)
  t.match(stdout, /facebook\s+ok 80;/, 'Meta answered for every product')
})

t.test('YouTube spent before the warm starts: not asked at all', async (t) => {
  const sandbox = await startTestSandbox(t)
  const file = await fileOf(t, ids('strong', 3000, 12))
  const { code, stdout } = await warmHere([file], sandboxEnv(sandbox, { YOUTUBE_SEARCH_DAILY_LIMIT: '0' }))
  t.equal(code, 0, stdout)
  t.match(stdout, /validated\s+12\n/)
  t.match(stdout, /RAN OUT \(quota_exhausted\) at .*youtube searches budget is spent \(0 of 0\)/)
  t.match(stdout, /youtube\s+quota_exhausted 12; 0 asked, \d+ answered by the warmer/)
  t.equal(sandbox.youtube.totalCalls(), 0)
})

t.test('Meta pausing itself near its hourly budget: not asked until the pause ends, the rest goes on', async (t) => {
  // At 95 % of this budget the client pauses a minute, longer than the warmer holds calls.
  const sandbox = await startTestSandbox(t, { facebookAppCallBudget: 20 })
  const file = await fileOf(t, [...ids('strong', 6000, 30), ...ids('weak', 6000, 30)])
  const { code, stdout } = await warmHere([file, '--concurrency', '2'], sandboxEnv(sandbox))
  t.equal(code, 0, stdout)
  t.match(stdout, /validated\s+60\n/)
  t.match(stdout, /facebook\s+.*rate_limited \d+/)
  t.match(stdout, /PAUSED \(rate_limited\) at .*Meta calls paused until .*hourly limit; not asked until /s)
  const calls = sandbox.facebook.totalCalls()
  t.ok(calls <= 19 + 2, `Meta calls: ${calls}`)
  t.match(stdout, /youtube\s+ok 60;/, 'YouTube answered for every product')
})

t.test('AliExpress banned for longer than the warmer waits: the products left are skipped, not failed one by one', async (t) => {
  const sandbox = await startTestSandbox(t, { aliexpress: { fault: 'rate_limit', faultRate: 1, retryAfterSeconds: 600 } })
  const file = await fileOf(t, ids('average', 7000, 120))
  const { code, stdout } = await warmHere([file], sandboxEnv(sandbox))
  t.equal(code, 1, 'nothing could be validated')
  t.match(stdout, /failed\s+50 \(UPSTREAM_UNAVAILABLE 50\)/, 'the first batch')
  t.match(stdout, /skipped\s+70 \(aliexpress rate_limited: AliExpress error ApiCallLimit/)
  t.match(stdout, /PAUSED \(rate_limited\)/)
  t.ok(sandbox.aliexpress.totalCalls() <= 3, `AliExpress calls: ${sandbox.aliexpress.totalCalls()} (one batch of 50, 20 ids a call)`)
  t.equal(sandbox.facebook.totalCalls() + sandbox.youtube.totalCalls(), 0)
})

t.test('--top N warms the products validated most often lately, each in its market', { skip: SKIP_NO_REDIS }, async (t) => {
  const redis = redisTestEnv(t)!
  const sandbox = await startTestSandbox(t, { facebookAppCallBudget: 1_000_000 })
  const dir = await mkdtemp(join(tmpdir(), 'dropforge-warm-pglite-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const [a, b, c, d, old] = ids('strong', 4000, 5) as [string, string, string, string, string]
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000)
  const seed = await createStore({ kind: 'pglite', dir })
  await seed!.saveValidations([
    ...[1, 2, 3, 4].map((h) => makeValidation({ productId: a, validatedAt: hoursAgo(h) })),
    ...[1, 2, 3].map((h) => makeValidation({ productId: b, country: 'DE', currency: 'EUR', validatedAt: hoursAgo(h) })),
    ...[5, 6].map((h) => makeValidation({ productId: c, validatedAt: hoursAgo(h) })),
    makeValidation({ productId: d, validatedAt: hoursAgo(7) }),
    ...[1, 2, 3, 4, 5, 6].map((d) => makeValidation({ productId: old, validatedAt: hoursAgo(24 * (10 + d)) })),
  ])
  await seed!.close()

  const env = sandboxEnv(sandbox, { ...redis, PERSISTENCE: 'on', PGLITE_DIR: dir })
  const { code, stdout } = await warmHere(['--top', '3', '--days', '7'], env)
  t.equal(code, 0, stdout)
  t.match(stdout, /the 3 products validated most often since .* \(pglite\)/)
  t.match(stdout, /validated\s+3\n/)

  const { app } = await buildTestApp(t, { env: redis, sandbox })
  const xCache = async (id: string, query = '') => (await app.inject({ method: 'GET', url: `/api/v1/products/${id}/validation${query}` })).headers['x-cache']
  t.equal(await xCache(a), 'HIT')
  t.equal(await xCache(b, '?country=DE&currency=EUR'), 'HIT', 'in the market it was asked for')
  t.equal(await xCache(c), 'HIT')
  t.equal(await xCache(d), 'MISS', 'fourth: not warmed')
  t.equal(await xCache(old), 'MISS', 'validated often, but not lately')
})

t.test('on a terminal, a progress bar', async (t) => {
  const sandbox = await startTestSandbox(t)
  let out = ''
  const code = await warmCommand([await fileOf(t, ids('strong', 8000, 5))], {
    env: sandboxEnv(sandbox),
    stdout: { isTTY: true, write: (s: string) => (out += s) },
    stderr: { write: () => true },
  })
  t.equal(code, 0)
  t.match(out, /warm \[\u2588+\] 5\/5 100% \| cached 0 \| validated 5 \| failed 0/)
  t.notMatch(out, /^warm: \d+\/5 /m, 'no plain progress lines')
})

t.test('bad arguments and nothing validated are failures; --help is not', async (t) => {
  const sandbox = await startTestSandbox(t)
  const env = sandboxEnv(sandbox)
  t.equal((await warmHere([], env)).code, 2, 'neither a file nor --top')
  t.equal((await warmHere(['a.txt', '--top', '5'], env)).code, 2, 'both')
  t.equal((await warmHere(['--top', '0'], env)).code, 2)
  t.equal((await warmHere(['--top', '5'], env)).code, 2, '--top without a database')
  t.equal((await warmHere(['a.txt', '--concurrency', '500'], env)).code, 2)
  t.equal((await warmHere(['a.txt', '--currency', 'XYZ'], env)).code, 2)
  t.equal((await warmHere(['a.txt', '--bogus'], env)).code, 2)
  t.equal((await warmHere(['/nonexistent/products.txt'], env)).code, 2, 'a file that cannot be read')
  t.equal((await warmHere(['a.txt'], { ...env, UPSTREAM_TIMEOUT_MS: 'soon' })).code, 2, 'bad configuration')
  const help = await warmHere(['--help'], env)
  t.equal(help.code, 0)
  t.match(help.stdout, /Usage: npm run warm/)

  const nothing = await warmHere([await fileOf(t, ['# only junk', 'not a product', ...ids('unknown', 5000, 2)])], env)
  t.equal(nothing.code, 1, 'nothing could be validated')
  t.match(nothing.stdout, /failed\s+2 \(PRODUCT_NOT_FOUND 2\)/)
  const empty = await warmHere([await fileOf(t, ['# nothing yet'])], env)
  t.equal(empty.code, 0, 'nothing to warm is not a failure')
  t.match(empty.stdout, /nothing to warm/)
  t.equal(sandbox.youtube.totalCalls() + sandbox.facebook.totalCalls(), 0)
})
