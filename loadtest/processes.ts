import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtemp, readFile, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

// The processes the suite runs: the API and the bare Fastify baseline, each a child on its own
// port so autocannon (in the driver) does not share their event loop. Every child is killed when
// the driver exits, however it exits.

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** every child listens here, and gets it as HOST */
export const CHILD_HOST = '127.0.0.1'

export interface Child {
  url: string
  pid: number
  process: ChildProcess
  /** the last lines the child wrote to stderr, for error messages */
  stderrTail(): string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited */
  stop(graceMs?: number): Promise<void>
}

const running = new Set<ChildProcess>()

function killAll() {
  for (const child of running) child.kill('SIGKILL')
}
process.once('exit', killAll)

/** A port nobody listens on right now: listen on 0, read the number, close. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (!address || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface SpawnOptions {
  script: string
  env: Record<string, string>
  port: number
  nodeArgs?: string[]
  /** a program that runs node, with its arguments (valgrind, say); its pid is the child's */
  wrapper?: string[]
  /** stop waiting for /health/live after this long */
  startTimeoutMs?: number
  /** the child's standard output, line by line (ignored without it) */
  onStdoutLine?: (line: string) => void
}

export async function spawnNode(options: SpawnOptions): Promise<Child> {
  const [command, ...args] = [...(options.wrapper ?? []), process.execPath, ...(options.nodeArgs ?? []), options.script]
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(options.port), HOST: CHILD_HOST },
    stdio: ['ignore', options.onStdoutLine ? 'pipe' : 'ignore', 'pipe'],
  })
  running.add(child)
  if (options.onStdoutLine && child.stdout) createInterface({ input: child.stdout }).on('line', options.onStdoutLine)
  const tail: string[] = []
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail.push(chunk)
    if (tail.length > 20) tail.shift()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => running.delete(child))
  const url = `http://${CHILD_HOST}:${options.port}`
  const handle: Child = {
    url,
    pid: child.pid ?? -1,
    process: child,
    stderrTail: () => tail.join(''),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(timer)
    },
  }
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.script} exited with ${child.exitCode} before listening:\n${handle.stderrTail()}`)
    try {
      const res = await fetch(`${url}/health/live`)
      await res.arrayBuffer()
      if (res.ok) return handle
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await handle.stop(1_000)
      throw new Error(`${options.script} did not answer /health/live within ${options.startTimeoutMs ?? 20_000} ms:\n${handle.stderrTail()}`)
    }
    await sleep(100)
  }
}

/** Resident set size of a process in bytes (VmRSS, or VmHWM for the peak), from /proc (Linux). */
export async function rssBytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)
  if (!match) throw new Error(`no ${field} for ${pid}`)
  return Number(match[1]) * 1024
}

/**
 * CPU time a process has used, user plus system, in ms, from /proc (Linux; USER_HZ is 100 there).
 * Per request it shows what the server spends whether or not it was the bottleneck of the run.
 */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name, which is in parentheses and may hold spaces: utime is the 12th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * Another revision of this repository beside the working tree, for the benchmarks' --against: a
 * detached git worktree sharing this checkout's node_modules. `remove` deletes it.
 */
export async function checkoutRevision(ref: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dropforge-bench-'))
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: ROOT, stdio: 'ignore' })
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  const remove = async () => {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' })
  }
  return { dir, remove }
}
