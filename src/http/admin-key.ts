import { createHash, timingSafeEqual } from 'node:crypto'
import type { onRequestHookHandler } from 'fastify'
import { AppError } from '../errors.ts'

// The admin key (ADMIN_API_KEY), required on /metrics and the admin routes. Both sides are hashed
// first, so the comparison takes the same time whatever the length of what was sent.

const digest = (text: string) => createHash('sha256').update(text).digest()

export function sameSecret(given: unknown, expected: string): boolean {
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(expected))
}

/** An onRequest hook: 403 while no admin key is configured, 401 without the right one. */
export function requireAdminKey(adminKey: string | undefined, what: string): onRequestHookHandler {
  return (request, _reply, done) => {
    if (!adminKey) return done(new AppError('FORBIDDEN', `${what} are disabled: ADMIN_API_KEY is not set`))
    if (!sameSecret(request.headers['x-admin-key'], adminKey)) return done(new AppError('UNAUTHORIZED', 'A valid x-admin-key header is required'))
    done()
  }
}
