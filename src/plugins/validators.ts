import { Ajv, type Options } from 'ajv'
import formatsPlugin from 'ajv-formats'
import type { FastifyInstance, FastifySchema } from 'fastify'

// Query strings and paths are text, so they are coerced to the schema's types; JSON bodies are
// checked as sent: a product id sent as a number would already have lost digits past 2^53, so it is
// rejected rather than quietly turned into a string.
const COMMON: Options = { removeAdditional: false, useDefaults: true, allErrors: false, strict: false }
const addFormats = formatsPlugin as unknown as (ajv: Ajv) => Ajv

export function setValidators(app: FastifyInstance) {
  const coercing = addFormats(new Ajv({ ...COMMON, coerceTypes: 'array' }))
  const strict = addFormats(new Ajv({ ...COMMON, coerceTypes: false }))
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  )
}
