import type { SourceStatus } from './schemas/validation.ts'
import { StoreError } from './store/errors.ts'

// One registry of the errors a client can see, and the one place where the failures of what we depend
// on (the database, the upstreams) become one of them. A product that scores badly is a normal result,
// not an error; these are for requests we cannot answer.

export const ERRORS = {
  INVALID_PRODUCT: { status: 400, message: 'Product must be an AliExpress product id or item URL' },
  INVALID_REQUEST: { status: 400, message: 'The request is not valid' },
  UNAUTHORIZED: { status: 401, message: 'A valid admin key is required' },
  FORBIDDEN: { status: 403, message: 'Not allowed' },
  NOT_FOUND: { status: 404, message: 'No such route' },
  PRODUCT_NOT_FOUND: { status: 404, message: 'AliExpress has no such product' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  UPSTREAM_ERROR: { status: 502, message: 'AliExpress answered with an error' },
  UPSTREAM_UNAVAILABLE: { status: 503, message: 'AliExpress is unavailable' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; try again shortly' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'AliExpress did not answer in time' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const

export type ErrorCode = keyof typeof ERRORS

export interface ErrorDetail {
  field?: string
  message: string
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details?: ErrorDetail[]
  readonly headers?: Record<string, string>
  constructor(code: ErrorCode, message?: string, options?: { details?: ErrorDetail[]; headers?: Record<string, string> }) {
    super(message ?? ERRORS[code].message)
    this.name = 'AppError'
    this.code = code
    this.statusCode = ERRORS[code].status
    this.details = options?.details
    this.headers = options?.headers
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[] }
}

export function errorBody(error: AppError): ErrorBody {
  const { code, message, details } = error
  return { error: details?.length ? { code, message, details } : { code, message } }
}

const retryAfter = (seconds: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(seconds))) })

/** The registry error for a failure of a dependency, or undefined when it is not one (a bug). */
export function dependencyError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error
  if (error instanceof StoreError) {
    if (error.code === 'INVALID_CURSOR') return new AppError('INVALID_REQUEST', error.message)
    return new AppError('DATABASE_UNAVAILABLE', undefined, { headers: retryAfter(5) })
  }
  return undefined
}

/** Why AliExpress could not give us a product, as the error the client gets when nothing else can answer. */
export function aliexpressFailure(failure: { status: Exclude<SourceStatus, 'ok'>; reason: string; retryAfterMs?: number }): AppError {
  switch (failure.status) {
    case 'not_found':
      return new AppError('PRODUCT_NOT_FOUND', 'AliExpress has no such product (or it is not in the affiliate programme)')
    case 'rate_limited':
    case 'quota_exhausted':
      return new AppError('UPSTREAM_UNAVAILABLE', 'AliExpress is rate limiting us; try again shortly', {
        headers: retryAfter((failure.retryAfterMs ?? 5000) / 1000),
      })
    case 'not_configured':
      return new AppError('UPSTREAM_ERROR', 'AliExpress rejected our credentials')
    case 'unavailable':
      return /timeout|deadline/i.test(failure.reason)
        ? new AppError('UPSTREAM_TIMEOUT')
        : new AppError('UPSTREAM_UNAVAILABLE', 'AliExpress is unavailable; try again shortly', { headers: retryAfter(5) })
  }
}
