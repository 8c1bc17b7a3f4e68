import Type from 'typebox'
import { hashApiKey } from './api-keys.ts'

// The authentication settings: their part of the environment schema (spread into src/config.ts's) and
// what they become. Off unless AUTH_REQUIRED=true, so `npm install && npm start` needs no key.

export const AUTH_ENV = {
  AUTH_REQUIRED: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false', description: 'true or false' }),
  API_KEYS: Type.Optional(
    Type.String({
      pattern: '^[0-9a-fA-F]{64}(\\s*,\\s*[0-9a-fA-F]{64})*$',
      description: 'a comma-separated list of SHA-256 hashes (64 hex digits) of API keys, as printed by npm run api-key:hash',
    }),
  ),
  SUPABASE_JWKS_URL: Type.Optional(Type.String({ pattern: '^https?://\\S+$', description: 'an http(s) URL' })),
  SUPABASE_JWT_SECRET: Type.Optional(Type.String({ minLength: 32, description: 'the project JWT secret (at least 32 characters)' })),
  SUPABASE_JWT_ISSUER: Type.Optional(Type.String({ pattern: '^https?://\\S+$', description: 'an http(s) URL such as https://<project>.supabase.co/auth/v1' })),
}

export interface AuthConfig {
  required: boolean
  /** lower-case hex SHA-256 of each accepted x-api-key */
  apiKeyHashes: string[]
  /** set when user tokens are accepted */
  tokens?: { jwksUrl?: string; secret?: string; issuer: string; audience: 'authenticated' }
}

interface AuthEnv {
  AUTH_REQUIRED: 'true' | 'false'
  API_KEYS?: string
  SUPABASE_JWKS_URL?: string
  SUPABASE_JWT_SECRET?: string
  SUPABASE_JWT_ISSUER?: string
  SUPABASE_URL?: string
  ADMIN_API_KEY?: string
}

/** The settings; a problem is added under its variable's name for each inconsistency. */
export function authConfig(env: AuthEnv, problems: Map<string, string>): AuthConfig {
  const apiKeyHashes = env.API_KEYS ? env.API_KEYS.split(',').map((h) => h.trim().toLowerCase()) : []
  const base = env.SUPABASE_URL?.replace(/\/+$/, '')
  const jwksUrl = env.SUPABASE_JWKS_URL ?? (base ? `${base}/auth/v1/.well-known/jwks.json` : undefined)
  const secret = env.SUPABASE_JWT_SECRET
  const issuer = env.SUPABASE_JWT_ISSUER ?? (base ? `${base}/auth/v1` : undefined)
  const required = env.AUTH_REQUIRED === 'true'
  if (env.ADMIN_API_KEY && apiKeyHashes.includes(hashApiKey(env.ADMIN_API_KEY))) {
    problems.set('API_KEYS', 'API_KEYS must not include the hash of ADMIN_API_KEY: the admin key is not a validation key, nor the reverse')
  }
  if (required && apiKeyHashes.length === 0 && !jwksUrl && !secret) {
    problems.set('AUTH_REQUIRED', 'AUTH_REQUIRED=true needs API_KEYS, or SUPABASE_URL / SUPABASE_JWKS_URL / SUPABASE_JWT_SECRET for user tokens: nobody could get in')
  }
  if (required && (jwksUrl || secret) && !issuer) {
    problems.set('SUPABASE_JWT_ISSUER', 'SUPABASE_JWT_ISSUER must be set (or SUPABASE_URL) to check user tokens: it is <project URL>/auth/v1')
  }
  const tokens = (jwksUrl || secret) && issuer ? { jwksUrl, secret, issuer, audience: 'authenticated' as const } : undefined
  return { required, apiKeyHashes, tokens }
}
