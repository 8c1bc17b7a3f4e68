/** The part of a pino logger that code outside the HTTP layer writes to; Fastify's app.log fits it. */
export interface Logger {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}
