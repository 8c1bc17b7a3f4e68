import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

// A Redis server of the test's own, on a free port, that the test can stop and start again: the
// shared Redis of REDIS_URL must never be stopped by a test.

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface OwnRedis {
  url: string
  stop(): Promise<void>
  start(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export async function startOwnRedis(t: Teardown): Promise<OwnRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      const probe = createServer()
      // Listening on the port fails once Redis holds it.
      const taken = await new Promise<boolean>((resolve) => {
        probe.once('error', () => resolve(true))
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)))
      })
      if (taken) return
      await sleep(20)
    }
    throw new Error('redis-server did not start')
  }
  const stop = async () => {
    if (!child || child.exitCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  await start()
  t.teardown(stop)
  return { url: `redis://127.0.0.1:${port}`, stop, start }
}
