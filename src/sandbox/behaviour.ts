import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

// What every simulated upstream shares: latency, fault injection, call counting and a loopback
// server on an ephemeral port. Each source's wire format lives in its own file beside this one.

export type FaultMode =
  | 'error' // the source's own transient error payload (Graph code 2, AliExpress ISP error, Google backendError)
  | 'http500'
  | 'http503'
  | 'http429' // a bare HTTP 429 with Retry-After, as a proxy or gateway in front of the API sends it
  | 'timeout' // accept the request and never answer
  | 'rate_limit' // the source's own throttling answer (429 with Retry-After, Graph code 4 on HTTP 400, ApiCallLimit)
  | 'quota' // YouTube quotaExceeded; the others treat it as rate_limit
  | 'html' // an HTML error page with status 200
  | 'truncated' // JSON cut in the middle

export interface Behaviour {
  /** base latency of every answer */
  latencyMs: number
  /** extra uniform random latency, 0..jitterMs */
  jitterMs: number
  /** share of requests, 0-1, that get `fault` */
  faultRate: number
  fault: FaultMode
  /** seconds announced in Retry-After for rate_limit */
  retryAfterSeconds: number
}

export const DEFAULT_LATENCY_MS = { aliexpress: 150, facebook: 250, youtube: 200 } as const

export function defaultBehaviour(latencyMs: number): Behaviour {
  return { latencyMs, jitterMs: Math.round(latencyMs / 5), faultRate: 0, fault: 'http503', retryAfterSeconds: 1 }
}

export interface SandboxServer {
  readonly name: string
  readonly url: string
  /** calls received, by operation name (method, path stem) */
  readonly calls: Map<string, number>
  totalCalls(): number
  resetCalls(): void
  behaviour: Behaviour
  setBehaviour(patch: Partial<Behaviour>): void
  close(): Promise<void>
}

export interface SandboxRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
}

export interface SandboxReply {
  status: number
  headers?: Record<string, string>
  body: string
}

export interface SandboxHandler {
  /** a short name of the operation for call counting (e.g. `search.list`) */
  operation(req: SandboxRequest): string
  answer(req: SandboxRequest): SandboxReply | Promise<SandboxReply>
  /** the source's own answer for an injected fault, or undefined to use the generic one */
  fault(mode: FaultMode, req: SandboxRequest, behaviour: Behaviour): SandboxReply | undefined
}

export async function startSandboxServer(
  name: string,
  handler: SandboxHandler,
  behaviour: Behaviour,
  basePath = '',
): Promise<SandboxServer> {
  const calls = new Map<string, number>()
  const hanging = new Set<ServerResponse>()
  const state = { behaviour: { ...behaviour } }

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request: SandboxRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', 'http://sandbox.local'),
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }
    const op = handler.operation(request)
    calls.set(op, (calls.get(op) ?? 0) + 1)
    const b = state.behaviour
    await sleep(b.latencyMs + (b.jitterMs > 0 ? Math.random() * b.jitterMs : 0))
    let reply: SandboxReply
    if (b.faultRate > 0 && Math.random() < b.faultRate) {
      if (b.fault === 'timeout') {
        hanging.add(res)
        res.on('close', () => hanging.delete(res))
        return
      }
      reply = handler.fault(b.fault, request, b) ?? genericFault(b.fault, b)
    } else {
      reply = await handler.answer(request)
    }
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers })
    res.end(reply.body)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    name,
    url: `http://127.0.0.1:${port}${basePath}`,
    calls,
    totalCalls: () => [...calls.values()].reduce((a, b) => a + b, 0),
    resetCalls: () => calls.clear(),
    get behaviour() {
      return state.behaviour
    },
    set behaviour(b: Behaviour) {
      state.behaviour = { ...b }
    },
    setBehaviour(patch) {
      state.behaviour = { ...state.behaviour, ...patch }
    },
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function genericFault(mode: FaultMode, b: Behaviour): SandboxReply {
  switch (mode) {
    case 'http500':
      return { status: 500, body: '{"error":"internal"}' }
    case 'http503':
    case 'error':
      return { status: 503, body: '{"error":"unavailable"}' }
    case 'http429':
    case 'rate_limit':
    case 'quota':
      return { status: 429, headers: { 'retry-after': String(b.retryAfterSeconds) }, body: '{"error":"too many requests"}' }
    case 'html':
      return { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>Service Unavailable</h1></body></html>' }
    case 'truncated':
      return { status: 200, body: '{"data":[{"id":"1","page_id":' }
    case 'timeout':
      throw new Error('timeout is handled by the server')
  }
}
