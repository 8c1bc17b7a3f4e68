import type { FastifyInstance } from 'fastify'
import { Agent, request } from 'undici'

// The abuse and auth suites talk to a listening app over real HTTP (loopback), as a client would.

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

export interface Client {
  base: string
  send(path: string, options?: { method?: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string }): Promise<Answer>
}

export async function serve(t: Teardown, app: FastifyInstance): Promise<Client> {
  return clientOf(t, await app.listen({ port: 0, host: '127.0.0.1' }))
}

/** A client of `base`, with one connection pool per local address it sends from (127.0.0.0/8). */
export function clientOf(t: Teardown, base: string): Client {
  const agents = new Map<string, Agent>()
  const agentFor = (localAddress = '127.0.0.1') => {
    let agent = agents.get(localAddress)
    if (!agent) {
      agent = new Agent({ localAddress, keepAliveTimeout: 1_000 })
      agents.set(localAddress, agent)
    }
    return agent
  }
  t.teardown(() => Promise.all([...agents.values()].map((a) => a.close())))
  return {
    base,
    async send(path, options = {}) {
      const res = await request(`${base}${path}`, {
        method: (options.method ?? 'GET') as 'GET',
        headers: options.headers,
        body: options.body,
        dispatcher: agentFor(options.localAddress),
      })
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
    },
  }
}

/** The registry error shape: { error: { code, message, details? } } and nothing else. */
export function isRegistryError(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }
    return Object.keys(body).length === 1 && typeof body.error?.code === 'string' && typeof body.error.message === 'string'
  } catch {
    return false
  }
}
