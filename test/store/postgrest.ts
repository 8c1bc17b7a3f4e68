import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A local stand-in for PostgREST that records every request supabase-js sends and answers it with
// `answer`: canned replies (test/store/supabase.test.ts) or real SQL (./postgrest-sql.ts).

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingMessage['headers']
  body: unknown
}

export type Answer = (req: Recorded, res: ServerResponse) => void | Promise<void>

export interface PostgrestServer {
  url: string
  requests: Recorded[]
  answer(next: Answer): void
}

export async function startPostgrest(t: Teardown, answer: Answer = (_req, res) => json(res, 201, undefined)): Promise<PostgrestServer> {
  const requests: Recorded[] = []
  let respond = answer
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://localhost')
    const recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body: text ? JSON.parse(text) : undefined }
    requests.push(recorded)
    try {
      await respond(recorded, res)
    } catch (err) {
      // A bug of the stand-in must fail the test, not hang it.
      if (!res.headersSent) json(res, 500, { code: 'STAND-IN', message: String(err), details: null, hint: null })
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer(next: Answer) {
      respond = next
    },
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end()
    return
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(text)
}

export function preferOf(req: Recorded): string[] {
  return String(req.headers.prefer ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}
