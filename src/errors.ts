import { ERRORS, type ErrorCode } from './schemas/errors.ts'
import type { SourceStatus } from './schemas/validation.ts'
import { StoreError } from './store/errors.ts'

// The errors a client can see are the registry's (src/schemas/errors.ts); this is the one place where
// the failures of what we depend on (the database, the upstreams) become one of them.

export { ERRORS, type ErrorCode }

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
