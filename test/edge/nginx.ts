import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { accessSync, constants, readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

// nginx from Debian run as a child process with deploy/nginx/dropforge-cache.conf.template, everything
// it writes (config, cache, pid, temp files, logs) in a temporary directory of its own, on a loopback
// port: no port 80, nothing under /var.

const TEMPLATE = new URL('../../deploy/nginx/dropforge-cache.conf.template', import.meta.url)

/** The nginx binary: PATH, then the sbin directories a non-root PATH often lacks. */
export function findNginx(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, 'nginx'), constants.X_OK)
      return join(dir, 'nginx')
    } catch {}
  }
  return undefined
}

/** libfaketime from Debian's libfaketime package, wherever the architecture puts it. */
export function findLibfaketime(): string | undefined {
  let dirs: string[] = []
  try {
    dirs = readdirSync('/usr/lib').map((d) => join('/usr/lib', d, 'faketime'))
  } catch {}
  for (const dir of ['/usr/lib/faketime', ...dirs]) {
    try {
      accessSync(join(dir, 'libfaketime.so.1'), constants.R_OK)
      return join(dir, 'libfaketime.so.1')
    } catch {}
  }
  return undefined
}

export interface EdgeOptions {
  /**
   * libfaketime to preload: nginx's wall clock (the one its cache lifetimes use) then runs
   * `advanceClock` seconds ahead of ours, so a test can be an hour later without waiting for it.
   */
  libfaketime?: string
}

const FAKETIME = {
  FAKETIME_TIMESTAMP_FILE: '',
  // Read the offset at every call (nginx reads the time once per event-loop turn), and leave the
  // monotonic clock real: nginx's timers run on it, its cache lifetimes do not.
  FAKETIME_NO_CACHE: '1',
  FAKETIME_DONT_FAKE_MONOTONIC: '1',
}

export interface Edge {
  url: string
  /** moves nginx's wall clock to `seconds` ahead of the real one (only with `libfaketime`) */
  advanceClock(seconds: number): Promise<void>
  close(): Promise<void>
}

/** The shipped template with only its ${DROPFORGE_...} placeholders filled in, as envsubst would. */
export async function fillTemplate(values: Record<string, string>): Promise<string> {
  const text = await readFile(TEMPLATE, 'utf8')
  return text.replace(/\$\{(DROPFORGE_[A-Z_]+)\}/g, (_, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`no value for ${name}`)
    return value
  })
}

export async function startNginx(binary: string, origin: string, options: EdgeOptions = {}): Promise<Edge> {
  const dir = await mkdtemp(join(tmpdir(), 'dropforge-edge-'))
  try {
    // Port 0 would work for nginx too, but it cannot tell us the port: take a free one, and try
    // again in the rare case someone else binds it first.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const edge = await tryStart(binary, dir, origin, port, options).catch((err: Error) => err)
      if (!(edge instanceof Error)) return edge
      if (attempt === 3 || !/Address already in use/.test(edge.message)) throw edge
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}

async function tryStart(binary: string, dir: string, origin: string, port: number, options: EdgeOptions): Promise<Edge> {
  // mkdtemp makes the directory 0700. A root master would run its workers as nobody, who cannot
  // enter it: as root they stay root; otherwise they are this user anyway (and nginx ignores `user`).
  const user = process.getuid?.() === 0 ? 'user root;\n' : ''
  // nginx clears its workers' environment but for the variables `env` names.
  const keep = options.libfaketime ? ['LD_PRELOAD', ...Object.keys(FAKETIME)].map((name) => `env ${name};\n`).join('') : ''
  const site = await fillTemplate({
    DROPFORGE_EDGE_LISTEN: `127.0.0.1:${port}`,
    DROPFORGE_ORIGIN: origin,
    DROPFORGE_CACHE_DIR: join(dir, 'cache'),
  })
  await writeFile(join(dir, 'dropforge-cache.conf'), site)
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${join(dir, `${k}-temp`)};`).join('\n')
  await writeFile(
    join(dir, 'nginx.conf'),
    `${user}${keep}worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log ${join(dir, 'access.log')};
${temp}
    include ${join(dir, 'dropforge-cache.conf')};
}
`,
  )
  const clock = join(dir, 'clock')
  await writeFile(clock, '+0\n')
  const env = options.libfaketime ? { ...process.env, ...FAKETIME, LD_PRELOAD: options.libfaketime, FAKETIME_TIMESTAMP_FILE: clock } : process.env
  const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'], env })
  // Should the test process end without its teardown, nginx does not outlive it.
  const orphan = () => child.kill('SIGKILL')
  process.once('exit', orphan)
  child.once('exit', () => process.off('exit', orphan))
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = once(child, 'exit').then(([code, signal]) => `nginx exited (${code ?? signal}) before listening:\n${stderr}`)
  const ready = await Promise.race([waitForPort(port, 5_000), exited])
  if (ready !== true) {
    await stop(child)
    throw new Error(typeof ready === 'string' ? ready : `nginx did not listen on ${port} within 5 s:\n${stderr}`)
  }
  return {
    url: `http://127.0.0.1:${port}`,
    advanceClock: async (seconds) => {
      if (!options.libfaketime) throw new Error('advanceClock needs libfaketime')
      await writeFile(clock, `+${seconds}\n`)
    },
    close: async () => {
      await stop(child)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exit = once(child, 'exit')
  // TERM is nginx's fast shutdown: the master stops its workers and exits.
  child.kill('SIGTERM')
  const done = await Promise.race([exit.then(() => true), sleep(5_000, false)])
  if (!done) {
    child.kill('SIGKILL')
    await exit
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

async function waitForPort(port: number, timeoutMs: number): Promise<true | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return true
    await sleep(20)
  }
  return undefined
}
