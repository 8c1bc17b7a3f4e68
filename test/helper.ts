import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { type AppDeps, buildApp } from '../src/app.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { type Sandbox, type SandboxOptions, startSandbox, withSandbox } from '../src/sandbox/index.ts'

// Tests run the production app (same server options, same plugins) against the sandbox upstreams
// over real HTTP; only the environment differs.

interface Teardown {
  teardown(fn: () => unknown): void
}

const FAST = { latencyMs: 0, jitterMs: 0 }

export async function startTestSandbox(t: Teardown, options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = await startSandbox({
    aliexpress: { ...FAST, ...options.aliexpress },
    facebook: { ...FAST, ...options.facebook },
    youtube: { ...FAST, ...options.youtube },
    youtubeSearchDailyLimit: options.youtubeSearchDailyLimit ?? 1_000_000,
    facebookAppCallBudget: options.facebookAppCallBudget,
  })
  t.teardown(() => sandbox.close())
  return sandbox
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PERSISTENCE: 'off',
    RATE_LIMIT_MAX: '100000',
    UPSTREAM_TIMEOUT_MS: '2000',
    YOUTUBE_SEARCH_DAILY_LIMIT: '1000000',
    YOUTUBE_DAILY_QUOTA: '100000000',
    ...env,
  })
}

export interface TestApp {
  app: FastifyInstance
  sandbox: Sandbox
  config: Config
}

export async function buildTestApp(
  t: Teardown,
  options: { env?: Record<string, string>; sandbox?: Sandbox; sandboxOptions?: SandboxOptions; deps?: AppDeps } = {},
): Promise<TestApp> {
  const sandbox = options.sandbox ?? (await startTestSandbox(t, options.sandboxOptions))
  const config = withSandbox(testConfig(options.env), sandbox)
  const app = await buildApp(config, options.deps)
  t.teardown(() => app.close())
  return { app, sandbox, config }
}

/**
 * The shared Redis of REDIS_URL under a key prefix of this test's own, every key of which is deleted
 * when the test ends; undefined when REDIS_URL is not set. Apps built with the same env share it.
 */
export function redisTestEnv(t: Teardown): { REDIS_URL: string; REDIS_KEY_PREFIX: string } | undefined {
  const url = process.env.REDIS_URL
  if (!url) return undefined
  const prefix = `test-${randomUUID()}`
  t.teardown(() => deleteRedisKeys(url, `${prefix}:*`))
  return { REDIS_URL: url, REDIS_KEY_PREFIX: prefix }
}

export async function deleteRedisKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    for await (const keys of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.unlink(...keys)
    }
  } finally {
    redis.disconnect()
  }
}
