import { randomBytes } from 'node:crypto'
import { type Sandbox, startSandbox } from '../src/sandbox/index.ts'
import { type Child, freePort, spawnNode } from './processes.ts'

// The API under test as a child process in production mode, against sandbox upstreams.

/**
 * The Node flags production runs with: the Dockerfile's NODE_OPTIONS and the V8 flag its CMD passes
 * (V8 accepts only a short list of its flags from NODE_OPTIONS). test/deploy.test.ts holds the two equal.
 */
export const PRODUCTION_NODE_ARGS = '--max-old-space-size=384 --max-semi-space-size=16 --no-allocation-site-pretenuring'

/** A string of Node flags, as written on a command line, as the arguments a child gets. */
export function nodeArgsOf(flags: string): string[] {
  return flags.split(/\s+/).filter(Boolean)
}

/** The admin key of the suite's API child, for reading its /metrics. */
export const ADMIN_KEY = randomBytes(24).toString('base64url')

/**
 * The memory the API may use beyond its cache bound: the old generation V8 may reserve
 * (--max-old-space-size; the cache's entries live inside it, so this counts them twice) plus the young
 * generation, code, native libraries and Buffers outside the cache. Derived from the configuration,
 * not fitted to a run; undefined when the API runs without a heap cap.
 */
export const NATIVE_OVERHEAD_MIB = 128

export function statedOverheadBytes(): number | undefined {
  const cap = /--max-old-space-size=(\d+)/.exec(apiNodeArgs().join(' '))
  return cap ? (Number(cap[1]) + NATIVE_OVERHEAD_MIB) * 1_048_576 : undefined
}

function apiNodeArgs(): string[] {
  return nodeArgsOf(process.env.LOADTEST_API_NODE_ARGS ?? PRODUCTION_NODE_ARGS)
}

/**
 * The three sandbox upstreams at their default (realistic) latencies, with their quotas out of the
 * way: the suite measures the API, not Meta's hourly app budget (200 calls in the sandbox, after
 * which the client pauses Meta and validations come back degraded with a 60 s TTL) or YouTube's
 * daily search limit.
 */
export async function startLoadSandbox(): Promise<Sandbox> {
  return startSandbox({ facebookAppCallBudget: 1_000_000_000, youtubeSearchDailyLimit: 1_000_000_000 })
}

/** The environment of an API child in production mode against these sandbox upstreams, quotas out of the way. */
export function sandboxApiEnv(sandbox: Sandbox): Record<string, string> {
  return {
    SANDBOX: 'true',
    // The AliExpress sandbox's url already ends in its /sync gateway path.
    ALIEXPRESS_API_URL: sandbox.aliexpress.url,
    FACEBOOK_GRAPH_URL: sandbox.facebook.url,
    YOUTUBE_API_URL: sandbox.youtube.url,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // One process, its own memory cache: a REDIS_URL inherited from the shell (CI sets one) would
    // put a network round trip into every figure and leave keys behind in a shared Redis.
    REDIS_URL: '',
    // High enough never to answer 429, low-level enough that the plugin still runs on every request.
    RATE_LIMIT_MAX: '1000000000',
    YOUTUBE_SEARCH_DAILY_LIMIT: '1000000',
    YOUTUBE_DAILY_QUOTA: '100000000',
  }
}

export interface ApiChildOptions {
  cacheMemoryMaxBytes: number
  /** persistence into this PostgreSQL; off without it */
  databaseUrl?: string
}

function apiEnv(sandbox: Sandbox, options: ApiChildOptions): Record<string, string> {
  return {
    ...sandboxApiEnv(sandbox),
    // For the memory breakdown, read from /metrics.
    ADMIN_API_KEY: ADMIN_KEY,
    CACHE_MEMORY_MAX_BYTES: String(options.cacheMemoryMaxBytes),
    ...(options.databaseUrl ? { PERSISTENCE: 'on', DATABASE_URL: options.databaseUrl } : { PERSISTENCE: 'off' }),
  }
}

export async function startApi(sandbox: Sandbox, options: ApiChildOptions, nodeArgs: string[] = []): Promise<Child> {
  // The API runs with the flags production uses (PRODUCTION_NODE_ARGS); LOADTEST_API_NODE_ARGS
  // replaces them for the API child only.
  return spawnNode({ script: 'src/server.ts', port: await freePort(), env: apiEnv(sandbox, options), nodeArgs: [...apiNodeArgs(), ...nodeArgs] })
}
