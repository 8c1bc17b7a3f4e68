import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { type Sandbox, sandboxFor } from './sandbox/index.ts'

// The process: configuration, the sandbox upstreams when there are no credentials, listen, and a
// graceful, bounded shutdown.

const SHUTDOWN_TIMEOUT_MS = 25_000
const LISTEN_BACKLOG = 4096

try {
  process.loadEnvFile()
} catch {
  // no .env file: the environment is all there is
}

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`config: ${problem}`)
    process.exit(1)
  }
  throw error
}

const prepared = await sandboxFor(config, process.env)
config = prepared.config
const sandbox: Sandbox | undefined = prepared.sandbox

const app: FastifyInstance = await buildApp(config)
if (config.sandbox) {
  app.log.warn(
    { aliexpress: config.aliexpress.apiUrl, facebook: config.facebook.graphUrl, youtube: config.youtube.apiUrl },
    'SANDBOX MODE: no upstream credentials, serving simulated AliExpress, Meta and YouTube data (answers say "sandbox": true)',
  )
}

let closing = false
async function shutdown(signal: string) {
  if (closing) return
  closing = true
  app.log.info({ signal }, 'shutting down: finishing requests, flushing validations')
  const timer = setTimeout(() => {
    app.log.error('shutdown took too long; exiting')
    process.exit(1)
  }, SHUTDOWN_TIMEOUT_MS)
  timer.unref()
  // A keep-alive connection that was busy when close() began becomes idle later and would hold the
  // server open until its keep-alive timeout: keep closing idle connections until we are done.
  const idleSweep = setInterval(() => app.server.closeIdleConnections(), 100)
  idleSweep.unref()
  try {
    await app.close()
    await sandbox?.close()
    process.exit(0)
  } catch (err) {
    app.log.error({ err }, 'shutdown failed')
    process.exit(1)
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'))
process.once('SIGINT', () => void shutdown('SIGINT'))

try {
  // Node's default accept backlog is 511: a burst of more new connections than that (a CDN or a load
  // test opening 1,000 at once) overflows it, and each dropped SYN waits a full second for its retry.
  // The kernel caps the value at net.core.somaxconn (4096 on Linux >= 5.4).
  await app.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG })
} catch (err) {
  app.log.error({ err }, 'could not listen')
  process.exit(1)
}
