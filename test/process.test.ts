import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import t from 'tap'
import { SANDBOX_CREDENTIALS } from '../src/sandbox/credentials.ts'
import { sandboxIdOfKind } from '../src/sandbox/catalogue.ts'
import { openPglite } from '../src/store/pglite.ts'

// The real process: `node src/server.ts` with the embedded sandbox, over a real socket.

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['src/server.ts'], {
    env: { ...process.env, NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', PERSISTENCE: 'off', REDIS_URL: '', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const base = `http://127.0.0.1:${port}`
  // PGlite's first start (creating and migrating its directory) takes seconds on a busy machine.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`)
    try {
      if ((await fetch(`${base}/health/live`)).ok) return { child, base, output: () => out }
    } catch {}
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`server did not start: ${out}`)
}

t.test('no credential in any log line, even at trace level with failing upstreams', async (t) => {
  const { child, base, output } = await startServer({ LOG_LEVEL: 'trace', SANDBOX_LATENCY_MS: 'all:1', SANDBOX_FAULT: 'http503', SANDBOX_FAULT_RATE: '0.5' })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  for (let i = 0; i < 6; i++) await fetch(`${base}/api/v1/products/${sandboxIdOfKind('strong', 800 + i)}/validation`).then((r) => r.arrayBuffer())
  await fetch(`${base}/api/v1/products/search?q=posture%20corrector`).then((r) => r.arrayBuffer())
  child.kill('SIGTERM')
  await once(child, 'exit')
  const logs = output()
  t.match(logs, /"upstream call"/, 'upstream calls were logged')
  t.match(logs, /"url":"\/api\/v1\/products\/\d+\/validation".*"msg":"request"/, 'one line per request, validation routes included')
  t.match(logs, /SANDBOX MODE/)
  for (const secret of [SANDBOX_CREDENTIALS.aliexpress.appSecret, SANDBOX_CREDENTIALS.facebook.accessToken, SANDBOX_CREDENTIALS.youtube.apiKey]) {
    t.notOk(logs.includes(secret), 'secret absent from logs')
  }
  t.notMatch(logs, /[?&](sign|access_token|key)=(?!\[REDACTED\])/, 'credential parameters redacted')
})

t.test('SIGTERM: in-flight requests finish, then the process exits 0', async (t) => {
  const { child, base } = await startServer({ LOG_LEVEL: 'warn', SANDBOX_LATENCY_MS: 'all:300' })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  const inflight = fetch(`${base}/api/v1/products/${sandboxIdOfKind('average', 810)}/validation`)
  await new Promise((r) => setTimeout(r, 100))
  child.kill('SIGTERM')
  const res = await inflight
  t.equal(res.status, 200, 'the request that was running when SIGTERM came was answered')
  const body = (await res.json()) as { signals: { facebook: { status: string } } }
  t.equal(body.signals.facebook.status, 'ok', 'its upstream calls were not cut short')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})

t.test('SIGTERM right after answering: every answered validation is in the database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dropforge-sigterm-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { child, base } = await startServer({ LOG_LEVEL: 'warn', PERSISTENCE: 'on', PGLITE_DIR: dir, SANDBOX_LATENCY_MS: 'all:1' })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  const ids = Array.from({ length: 40 }, (_, i) => sandboxIdOfKind(i % 2 ? 'strong' : 'weak', 2_000 + i))
  const res = await fetch(`${base}/api/v1/validations/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ products: ids }),
  })
  const { results } = (await res.json()) as { results: { status: string }[] }
  const answered = results.filter((r) => r.status === 'ok').length
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  t.equal(answered, 40)
  const db = await openPglite(dir)
  t.teardown(() => db.close())
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM validations WHERE product_id = ANY($1)', [ids])
  t.equal(rows[0]!.n, answered, 'every answered validation was written before exit')
})
