import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../errors.ts'

// What a request body may be: JSON in UTF-8, as sent, never compressed. Checked on the routes that take
// a body, in an onRequest hook (after the auth and rate-limit hooks, before any byte is read), so the
// body parser never sees anything else and no two components can read one header differently.
//
// - Content-Type: application/json, with at most `charset=utf-8` (RFC 9110: type, subtype and charset
//   are case-insensitive, and whitespace may surround the `;`). Another charset would be decoded as
//   UTF-8 all the same, and any other parameter, an empty one (`application/json;`), a list, another
//   JSON-ish type (+json, text/plain, multipart, forms) is refused with 415 rather than guessed at.
// - Content-Encoding: none, or `identity`. A compressed body is refused (415, Accept-Encoding: identity,
//   as RFC 9110 section 15.5.16 asks) instead of decoded: our bodies are at most 64 KiB of JSON, which
//   nobody needs to compress, and every decoder costs memory and CPU (a brotli stream may allocate a
//   16 MiB window) for as little as a few bytes sent. @fastify/compress's request decompression is off
//   as well (src/app.ts), so no route decodes one.

const JSON_MEDIA_TYPE = /^application\/json(?:[ \t]*;[ \t]*charset=(?:utf-8|"utf-8"))?$/i
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH'])

const checkBody: onRequestHookHandler = (request, _reply, done) => {
  const encoding = request.headers['content-encoding']
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return done(
      new AppError('UNSUPPORTED_MEDIA_TYPE', 'Compressed request bodies are not accepted: send the JSON uncompressed', {
        headers: { 'accept-encoding': 'identity' },
      }),
    )
  }
  const type = request.headers['content-type']
  // No Content-Type: an empty body fails the schema (400), a body is refused by Fastify (415).
  if (type !== undefined && !JSON_MEDIA_TYPE.test(type.trim())) {
    return done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json (UTF-8)'))
  }
  done()
}

async function requestBody(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat()
    if (!methods.some((m) => METHODS_WITH_BODY.has(m))) return
    route.onRequest = [...[route.onRequest ?? []].flat(), checkBody]
  })
}

export default fp(requestBody, { name: 'request-body' })
