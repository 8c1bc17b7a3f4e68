import Type from 'typebox'
import { AUTH_ENV } from './auth/config.ts'
import { TRUST_PROXY_EXPECTED } from './trust-proxy.ts'
import { COMPONENTS } from './schemas/validation.ts'

// Every setting the process reads, in one schema: the type is derived from it and the environment is
// validated against it once at start-up. `description` is the phrase used in the error message.
const Duration = (fallback: string) =>
  Type.String({ default: fallback, pattern: '^\\s*\\d+(\\.\\d+)?\\s*[a-zA-Z ]*$', description: 'a duration such as 90s, 15 minutes, 1h or 24h' })
const COMPONENT_CHOICE = COMPONENTS.join('|')
const Url = (fallback?: string) =>
  Type.String({ pattern: '^(https?|rediss?|postgres(ql)?)://\\S+$', description: 'a URL', ...(fallback ? { default: fallback } : {}) })
const Secret = () => Type.Optional(Type.String({ minLength: 1, description: 'a non-empty string' }))
const Int = (fallback: number, minimum: number, maximum: number) =>
  Type.Integer({ default: fallback, minimum, maximum, description: `an integer ${minimum}-${maximum}` })

export const EnvSchema = Type.Object({
  PORT: Int(3000, 1, 65535),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'a host name or address' }),
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
    description: 'one of development, production, test',
  }),
  SANDBOX: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], {
    default: 'auto',
    description: 'one of auto, true, false',
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'a pino level (fatal, error, warn, info, debug, trace, silent)' },
  ),
  CORS_ORIGINS: Type.String({
    default: 'https://www.dropstackerpro.com,http://localhost:3000,http://localhost:5173',
    pattern: '^https?://[^,\\s]+(,\\s*https?://[^,\\s]+)*$',
    description: 'a comma-separated list of origins such as https://www.dropstackerpro.com',
  }),
  RATE_LIMIT_MAX: Int(100, 1, 1_000_000_000),
  RATE_LIMIT_WINDOW: Duration('15 minutes'),
  REFRESH_RATE_LIMIT_MAX: Int(10, 0, 1_000_000),
  REFRESH_RATE_LIMIT_WINDOW: Duration('1h'),
  TRUST_PROXY: Type.String({ default: 'false', description: TRUST_PROXY_EXPECTED }),
  CACHE_TTL_VALIDATION: Duration('24h'),
  CACHE_TTL_SEARCH: Duration('1h'),
  CACHE_TTL_SUPPLIERS: Duration('24h'),
  CACHE_STALE_GRACE: Duration('1h'),
  CACHE_MEMORY_MAX_BYTES: Int(67_108_864, 1_048_576, 68_719_476_736),
  REDIS_URL: Type.Optional(Url()),
  REDIS_KEY_PREFIX: Type.String({
    default: 'dropforge',
    pattern: '^[A-Za-z0-9_.-]{1,64}$',
    description: 'letters, digits, dot, dash or underscore (at most 64)',
  }),
  SUPABASE_URL: Type.Optional(Url()),
  SUPABASE_SERVICE_ROLE_KEY: Secret(),
  DATABASE_URL: Type.Optional(Url()),
  DATABASE_POOL_MAX: Int(10, 1, 1000),
  PGLITE_DIR: Type.String({ default: './data/pglite', minLength: 1, description: 'a directory path' }),
  PERSISTENCE: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on', description: 'on or off' }),
  ALIEXPRESS_APP_KEY: Secret(),
  ALIEXPRESS_APP_SECRET: Secret(),
  ALIEXPRESS_TRACKING_ID: Secret(),
  ALIEXPRESS_ACCESS_TOKEN: Secret(),
  ALIEXPRESS_API_URL: Url('https://api-sg.aliexpress.com/sync'),
  FACEBOOK_ACCESS_TOKEN: Secret(),
  FACEBOOK_GRAPH_URL: Url('https://graph.facebook.com/v24.0'),
  FACEBOOK_AD_COUNTRIES: Type.String({
    default: 'DE,FR,ES,IT,NL',
    pattern: '^[A-Z]{2}(,[A-Z]{2})*$',
    description: 'a comma-separated list of ISO 3166 alpha-2 codes such as DE,FR',
  }),
  YOUTUBE_API_KEY: Secret(),
  YOUTUBE_API_URL: Url('https://www.googleapis.com/youtube/v3'),
  YOUTUBE_SEARCH_DAILY_LIMIT: Int(100, 0, 1_000_000),
  YOUTUBE_DAILY_QUOTA: Int(10_000, 0, 100_000_000),
  YOUTUBE_SEARCH_COST: Union2('bucket', 'units', 'bucket'),
  UPSTREAM_TIMEOUT_MS: Int(8000, 100, 120_000),
  UPSTREAM_MAX_CONNECTIONS: Int(128, 1, 4096),
  CIRCUIT_FAILURE_THRESHOLD: Int(5, 1, 1000),
  CIRCUIT_COOLDOWN: Duration('30s'),
  FACEBOOK_THROTTLE_PAUSE: Duration('1 minute'),
  ALIEXPRESS_CALLS_PER_MINUTE: Int(0, 0, 1_000_000),
  ADMIN_API_KEY: Type.Optional(Type.String({ minLength: 16, description: 'a string of at least 16 characters' })),
  ...AUTH_ENV,
  SCORING_WEIGHTS: Type.Optional(
    Type.String({
      pattern: `^(${COMPONENT_CHOICE})=\\d+(\\.\\d+)?(,(${COMPONENT_CHOICE})=\\d+(\\.\\d+)?)*$`,
      description: 'a list such as demand=30,trend=20,competition=20,margin=15,quality=15',
    }),
  ),
})

function Union2<A extends string, B extends string>(a: A, b: B, fallback: A | B) {
  return Type.Union([Type.Literal(a), Type.Literal(b)], { default: fallback, description: `${a} or ${b}` })
}
