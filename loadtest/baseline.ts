import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

// The baseline of the load suite: bare Fastify (no plugins, no hooks, no logger) serving the exact
// bytes of one cached validation on the same kind of route. The API's cached GET is measured as a
// ratio to this, in the same run on the same machine. Run as a child: BASELINE_BODY_FILE, PORT, HOST.
// With BASELINE_HEADERS_FILE (a JSON object) it also sends those headers and an x-request-id, as
// the API does: the same response on the wire, to tell the cost of the headers from that of the stack.

const bodyFile = process.env.BASELINE_BODY_FILE
if (!bodyFile) throw new Error('BASELINE_BODY_FILE is required')
const body = readFileSync(bodyFile)
const headersFile = process.env.BASELINE_HEADERS_FILE
const headers: Record<string, string> | undefined = headersFile ? JSON.parse(readFileSync(headersFile, 'utf8')) : undefined

const app = Fastify({ logger: false })
app.get('/health/live', async () => ({ status: 'ok' }))
app.get(
  '/api/v1/products/:productId/validation',
  headers
    ? (request, reply) => {
        reply.header('x-request-id', request.id).headers(headers).send(body)
      }
    : (_request, reply) => {
        reply.header('content-type', 'application/json; charset=utf-8').send(body)
      },
)

const stop = async () => {
  await app.close()
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
process.once('SIGINT', () => void stop())

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' })
