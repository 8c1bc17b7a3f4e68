import { parse as parseDuration } from '@lukeed/ms'
import type { Static } from 'typebox'
import Value from 'typebox/value'
import { type AuthConfig, authConfig } from './auth/config.ts'
import { EnvSchema } from './env-schema.ts'
import { parseTrustProxy } from './trust-proxy.ts'
import type { ComponentName } from './schemas/validation.ts'

export { EnvSchema }

type Env = Static<typeof EnvSchema>

export type ScoringWeights = Record<ComponentName, number>
export const DEFAULT_WEIGHTS: ScoringWeights = { demand: 30, trend: 20, competition: 20, margin: 15, quality: 15 }

export interface Config {
  env: Env['NODE_ENV']
  port: number
  host: string
  logLevel: Env['LOG_LEVEL']
  /** true when the upstreams are the local sandbox servers */
  sandbox: boolean
  corsOrigins: string[]
  rateLimit: { max: number; windowMs: number }
  /** answers a client may ask to be fetched anew (?refresh=true), which spends upstream quota */
  refreshLimit: { max: number; windowMs: number }
  /** false, or the addresses/CIDRs of the proxies whose X-Forwarded-For is believed */
  trustProxy: false | string[]
  cache: { validationTtlMs: number; searchTtlMs: number; suppliersTtlMs: number; staleGraceMs: number; memoryMaxBytes: number }
  redisUrl?: string
  /** every key this service writes to Redis starts with it, so environments can share one Redis */
  redisKeyPrefix: string
  persistence:
    | { kind: 'off' }
    | { kind: 'supabase'; url: string; serviceRoleKey: string }
    | { kind: 'postgres'; url: string; poolMax: number }
    | { kind: 'pglite'; dir: string }
  /** callsPerMinute 0: not counted; accessToken: the dropshipping session that the freight API needs */
  aliexpress: { appKey?: string; appSecret?: string; trackingId?: string; accessToken?: string; apiUrl: string; callsPerMinute: number }
  /** throttlePauseMs: the first pause after a Meta throttle that states no time */
  facebook: { accessToken?: string; graphUrl: string; adCountries: string[]; throttlePauseMs: number }
  youtube: { apiKey?: string; apiUrl: string; searchDailyLimit: number; dailyQuota: number; searchCost: 'bucket' | 'units' }
  upstreamTimeoutMs: number
  /** open connections per upstream at most; calls beyond it wait in undici's queue */
  upstreamMaxConnections: number
  /** failures in a row that open a source's circuit, and how long it then stays open */
  circuit: { threshold: number; cooldownMs: number }
  adminApiKey?: string
  auth: AuthConfig
  scoringWeights: ScoringWeights
}

export class ConfigError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const CREDENTIALS = ['ALIEXPRESS_APP_KEY', 'ALIEXPRESS_APP_SECRET', 'FACEBOOK_ACCESS_TOKEN', 'YOUTUBE_API_KEY'] as const

const SECRETS = new Set([...CREDENTIALS, 'SUPABASE_SERVICE_ROLE_KEY', 'ADMIN_API_KEY', 'SUPABASE_JWT_SECRET'])

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key]
    // An empty variable means "not set", as in most deployment dashboards.
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim()
  }
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw)) as Env
  const problems = new Map<string, string>()
  for (const error of Value.Errors(EnvSchema, env)) {
    const name = error.instancePath.split('/')[1]
    if (!name || problems.has(name)) continue
    const schema = (EnvSchema.properties as Record<string, { description?: string }>)[name]
    // A secret is never printed, not even a wrong one: it may be the right one in the wrong place.
    const got = SECRETS.has(name) ? `${String(raw[name]).length} characters` : JSON.stringify(raw[name])
    problems.set(name, `${name} must be ${schema?.description ?? 'valid'} (got ${got})`)
  }
  const durations = {} as Record<string, number>
  for (const name of ['RATE_LIMIT_WINDOW', 'REFRESH_RATE_LIMIT_WINDOW', 'CACHE_TTL_VALIDATION', 'CACHE_TTL_SEARCH', 'CACHE_TTL_SUPPLIERS', 'CACHE_STALE_GRACE', 'CIRCUIT_COOLDOWN', 'FACEBOOK_THROTTLE_PAUSE'] as const) {
    const ms = parseDuration(String(env[name]))
    if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
      if (!problems.has(name)) problems.set(name, `${name} must be a duration such as 90s, 15 minutes, 1h or 24h (got ${JSON.stringify(raw[name])})`)
    } else durations[name] = ms
  }
  const trustProxy = parseTrustProxy(String(env.TRUST_PROXY))
  if (trustProxy && 'problem' in trustProxy) problems.set('TRUST_PROXY', `TRUST_PROXY must be ${trustProxy.problem} (got ${JSON.stringify(raw.TRUST_PROXY)})`)
  const auth = authConfig(env, problems)
  if (env.SUPABASE_URL && !env.SUPABASE_SERVICE_ROLE_KEY) {
    problems.set('SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_SERVICE_ROLE_KEY must be set when SUPABASE_URL is set')
  }
  const missing = CREDENTIALS.filter((name) => !env[name])
  const sandbox = env.SANDBOX === 'true' || (env.SANDBOX === 'auto' && env.NODE_ENV !== 'production' && missing.length > 0)
  if (env.NODE_ENV === 'production' && !sandbox && missing.length > 0) {
    problems.set(
      'NODE_ENV',
      `NODE_ENV=production needs upstream credentials; missing ${missing.join(', ')} (set them, or SANDBOX=true to serve simulated data)`,
    )
  }
  if (problems.size > 0) throw new ConfigError([...problems.values()])

  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    sandbox,
    corsOrigins: env.CORS_ORIGINS.split(',').map((o) => o.trim().replace(/\/$/, '')),
    rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: durations.RATE_LIMIT_WINDOW! },
    refreshLimit: { max: env.REFRESH_RATE_LIMIT_MAX, windowMs: durations.REFRESH_RATE_LIMIT_WINDOW! },
    trustProxy: trustProxy as Config['trustProxy'],
    auth,
    cache: {
      validationTtlMs: durations.CACHE_TTL_VALIDATION!,
      searchTtlMs: durations.CACHE_TTL_SEARCH!,
      suppliersTtlMs: durations.CACHE_TTL_SUPPLIERS!,
      staleGraceMs: durations.CACHE_STALE_GRACE!,
      memoryMaxBytes: env.CACHE_MEMORY_MAX_BYTES,
    },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    persistence: selectPersistence(env),
    aliexpress: {
      appKey: env.ALIEXPRESS_APP_KEY,
      appSecret: env.ALIEXPRESS_APP_SECRET,
      trackingId: env.ALIEXPRESS_TRACKING_ID,
      accessToken: env.ALIEXPRESS_ACCESS_TOKEN,
      apiUrl: env.ALIEXPRESS_API_URL,
      callsPerMinute: env.ALIEXPRESS_CALLS_PER_MINUTE,
    },
    facebook: {
      accessToken: env.FACEBOOK_ACCESS_TOKEN,
      graphUrl: env.FACEBOOK_GRAPH_URL,
      adCountries: env.FACEBOOK_AD_COUNTRIES.split(','),
      throttlePauseMs: durations.FACEBOOK_THROTTLE_PAUSE!,
    },
    youtube: {
      apiKey: env.YOUTUBE_API_KEY,
      apiUrl: env.YOUTUBE_API_URL,
      searchDailyLimit: env.YOUTUBE_SEARCH_DAILY_LIMIT,
      dailyQuota: env.YOUTUBE_DAILY_QUOTA,
      searchCost: env.YOUTUBE_SEARCH_COST,
    },
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    upstreamMaxConnections: env.UPSTREAM_MAX_CONNECTIONS,
    circuit: { threshold: env.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: durations.CIRCUIT_COOLDOWN! },
    adminApiKey: env.ADMIN_API_KEY,
    scoringWeights: parseWeights(env.SCORING_WEIGHTS),
  }
}

function selectPersistence(env: Env): Config['persistence'] {
  if (env.PERSISTENCE === 'off') return { kind: 'off' }
  if (env.SUPABASE_URL && env.SUPABASE_SERVICE_ROLE_KEY) {
    return { kind: 'supabase', url: env.SUPABASE_URL, serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY }
  }
  if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX }
  return { kind: 'pglite', dir: env.PGLITE_DIR }
}

function parseWeights(value: string | undefined): ScoringWeights {
  const weights = { ...DEFAULT_WEIGHTS }
  for (const pair of value?.split(',') ?? []) {
    const [name, weight] = pair.split('=') as [keyof ScoringWeights, string]
    weights[name] = Number(weight)
  }
  return weights
}

/** Credentials a running process must never print; used by the log and error redaction. */
export function secretsOf(config: Config): string[] {
  return [
    config.aliexpress.appSecret,
    config.aliexpress.accessToken,
    config.facebook.accessToken,
    config.youtube.apiKey,
    config.adminApiKey,
    config.auth.tokens?.secret,
    config.persistence.kind === 'supabase' ? config.persistence.serviceRoleKey : undefined,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0)
}
