import type { FastifyInstance } from 'fastify'
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
