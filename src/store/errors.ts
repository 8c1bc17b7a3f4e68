export interface StoreErrorOptions {
  /** SQLSTATE from PostgreSQL or PostgREST (e.g. 23514), or one of ours such as INVALID_CURSOR */
  code?: string
  cause?: unknown
}

/** Every failure a store reports; the message never carries a credential. */
export class StoreError extends Error {
  readonly code: string | undefined
  /**
   * True when sending the same rows again cannot succeed (bad data: SQLSTATE class 22 or 23). Anything
   * else (network, timeout, missing table, deadlock) may pass on a later try.
   */
  readonly permanent: boolean

  constructor(message: string, options: StoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StoreError'
    this.code = options.code
    this.permanent = isPermanentCode(options.code)
  }
}

function isPermanentCode(code: string | undefined): boolean {
  return code !== undefined && /^2[23][0-9A-Z]{3}$/.test(code)
}
