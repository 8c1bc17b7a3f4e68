// The one registry of the errors a client can see: each code with its HTTP status and default
// message. A product that scores badly is a normal result, not an error; these are for requests we
// cannot answer.

export const ERRORS = {
  INVALID_PRODUCT: { status: 400, message: 'Product must be an AliExpress product id or item URL' },
  INVALID_REQUEST: { status: 400, message: 'The request is not valid' },
  UNAUTHORIZED: { status: 401, message: 'A valid admin key is required' },
  FORBIDDEN: { status: 403, message: 'Not allowed' },
  NOT_FOUND: { status: 404, message: 'No such route' },
  PRODUCT_NOT_FOUND: { status: 404, message: 'AliExpress has no such product' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  UPSTREAM_ERROR: { status: 502, message: 'AliExpress answered with an error' },
  UPSTREAM_UNAVAILABLE: { status: 503, message: 'AliExpress is unavailable' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; try again shortly' },
  UPSTREAM_TIMEOUT: { status: 504, message: 'AliExpress did not answer in time' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const

export type ErrorCode = keyof typeof ERRORS
