import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, errorBody } from '../errors.ts'
import { SECURITY_HEADERS } from './preset-headers.ts'

// The answers that Node's HTTP parser and Fastify's router write before any hook runs, in the registry
// error shape like every other answer (Fastify's own shape otherwise, and a URL echoed back in it).

/** Node's parser gave up on the request (bad syntax, headers over 16 KiB, too slow): answer and close. */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const answer =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new AppError('REQUEST_TIMEOUT')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new AppError('HEADERS_TOO_LARGE')
        : new AppError('INVALID_REQUEST', 'The request is not valid HTTP')
  this.log.debug({ err: error }, 'client error')
  const body = JSON.stringify(errorBody(answer))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/** A URL that cannot be decoded, or a path parameter over maxParamLength: the router's own 400s. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long' : 'The URL is not valid'
  reply.code(400).headers(SECURITY_HEADERS).send(errorBody(new AppError('INVALID_REQUEST', message)))
}
