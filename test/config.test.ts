import { spawnSync } from 'node:child_process'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

t.test('defaults: development, sandbox, in-memory cache, PGlite', async (t) => {
  const config = loadConfig({})
  t.equal(config.port, 3000)
  t.equal(config.host, '0.0.0.0')
  t.equal(config.sandbox, true)
  t.same(config.persistence, { kind: 'pglite', dir: './data/pglite' })
  t.equal(config.rateLimit.windowMs, 15 * 60_000)
  t.equal(config.cache.validationTtlMs, 24 * 3_600_000)
  t.equal(config.cache.searchTtlMs, 3_600_000)
  t.same(config.facebook.adCountries, ['DE', 'FR', 'ES', 'IT', 'NL'])
  t.equal(config.aliexpress.apiUrl, 'https://api-sg.aliexpress.com/sync')
  t.equal(config.upstreamMaxConnections, 128)
  t.same(config.corsOrigins, ['https://www.dropstackerpro.com', 'http://localhost:3000', 'http://localhost:5173'])
  t.same(config.scoringWeights, { demand: 30, trend: 20, competition: 20, margin: 15, quality: 15 })
})

t.test('each bad value names its variable and what it expects', async (t) => {
  t.same(problems({ PORT: 'abc' }), ['PORT must be an integer 1-65535 (got "abc")'])
  t.match(problems({ PORT: '70000' })[0], /^PORT must be an integer 1-65535/)
  t.match(problems({ RATE_LIMIT_WINDOW: 'soon' })[0], /^RATE_LIMIT_WINDOW must be a duration/)
  t.match(problems({ REDIS_URL: 'localhost:6379' })[0], /^REDIS_URL must be a URL/)
  t.match(problems({ NODE_ENV: 'staging' })[0], /^NODE_ENV must be one of development, production, test/)
  t.match(problems({ FACEBOOK_AD_COUNTRIES: 'de,fr' })[0], /^FACEBOOK_AD_COUNTRIES must be/)
  t.match(problems({ TRUST_PROXY: 'yes' })[0], /^TRUST_PROXY must be/)
  t.match(problems({ SCORING_WEIGHTS: 'demand=x' })[0], /^SCORING_WEIGHTS must be/)
  t.match(problems({ UPSTREAM_MAX_CONNECTIONS: '0' })[0], /^UPSTREAM_MAX_CONNECTIONS must be an integer 1-4096/)
  t.match(problems({ SUPABASE_URL: 'https://x.supabase.co' })[0], /^SUPABASE_SERVICE_ROLE_KEY must be set/)
  t.equal(problems({ PORT: 'abc', LOG_LEVEL: 'loud' }).length, 2, 'every problem at once')
})

t.test('production without credentials refuses to start unless SANDBOX=true, naming what is missing', async (t) => {
  const [problem] = problems({ NODE_ENV: 'production', YOUTUBE_API_KEY: 'k' })
  t.match(problem, /ALIEXPRESS_APP_KEY, ALIEXPRESS_APP_SECRET, FACEBOOK_ACCESS_TOKEN/)
  t.notMatch(problem, /YOUTUBE_API_KEY/)
  t.equal(loadConfig({ NODE_ENV: 'production', SANDBOX: 'true' }).sandbox, true)
  const full = loadConfig({
    NODE_ENV: 'production',
    ALIEXPRESS_APP_KEY: 'a',
    ALIEXPRESS_APP_SECRET: 'b',
    FACEBOOK_ACCESS_TOKEN: 'c',
    YOUTUBE_API_KEY: 'd',
  })
  t.equal(full.sandbox, false)
})

t.test('persistence selection: Supabase, then DATABASE_URL, then PGlite; off wins', async (t) => {
  t.equal(loadConfig({ SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'k', DATABASE_URL: 'postgres://h/db' }).persistence.kind, 'supabase')
  t.equal(loadConfig({ DATABASE_URL: 'postgres://h/db' }).persistence.kind, 'postgres')
  t.equal(loadConfig({ PERSISTENCE: 'off', DATABASE_URL: 'postgres://h/db' }).persistence.kind, 'off')
})

t.test('TRUST_PROXY: false or a list of proxy addresses/CIDRs; a hop count is a clear error', async (t) => {
  t.equal(loadConfig({}).trustProxy, false)
  t.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1'])
  t.same(loadConfig({ TRUST_PROXY: 'fc00::/7,::1' }).trustProxy, ['fc00::/7', '::1'])
  t.match(problems({ TRUST_PROXY: '1' })[0], /^TRUST_PROXY must be false or a comma-separated list .*a number of proxy hops is no longer accepted/)
  for (const bad of ['true', 'yes', '10.0.0.0/33', '::1/129', '10.0.0.0/8/8', '10.0.0.0/', 'example.com', '10.0.0.0/8,,127.0.0.1']) {
    t.match(problems({ TRUST_PROXY: bad })[0], /^TRUST_PROXY must be false or a comma-separated list of proxy addresses\/CIDRs/, bad)
  }
})

t.test('the process exits with one clear line per bad variable, no stack trace', async (t) => {
  const run = spawnSync(process.execPath, ['src/server.ts'], { env: { ...process.env, PORT: 'abc', NODE_ENV: 'test' }, encoding: 'utf8', timeout: 20_000 })
  t.equal(run.status, 1)
  t.equal(run.stderr.trim(), 'config: PORT must be an integer 1-65535 (got "abc")')
  t.notMatch(run.stderr, /at .*\.ts/)
})
