import { once } from 'node:events'
import { type AddressInfo, createServer, type Socket, connect } from 'node:net'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface TcpProxy {
  port: number
  /** Destroys every open connection and every new one until up() */
  down(): void
  up(): void
}

/** A loopback TCP proxy to a real server that a test can cut, as a database going away would be. */
export async function startTcpProxy(t: Teardown, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let isDown = false
  const server = createServer((client) => {
    if (isDown) {
      client.destroy()
      return
    }
    const upstream = connect(target.port, target.host)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy()
  }
  t.teardown(async () => {
    destroyAll()
    server.close()
    await once(server, 'close')
  })
  return {
    port: (server.address() as AddressInfo).port,
    down() {
      isDown = true
      destroyAll()
    },
    up() {
      isDown = false
    },
  }
}
