import type { IncomingMessage } from 'node:http'

// The request id: the caller's X-Request-Id when it looks like one (so a trace can be followed across
// services), else Fastify's own counter form. Fastify would take any value up to the 16 KiB header limit
// and repeat it in the answer and in every log line of the request; an id of more than 128 characters,
// or with characters outside [A-Za-z0-9_.:-], is replaced instead.

const ACCEPTED = /^[\w.:-]{1,128}$/
let next = 0

export function genReqId(req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  if (typeof given === 'string' && ACCEPTED.test(given)) return given
  next = (next + 1) & 0x7fffffff
  return `req-${next.toString(36)}`
}
