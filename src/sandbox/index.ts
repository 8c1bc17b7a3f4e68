import type { Config } from '../config.ts'
import { createAliexpressSandbox } from './aliexpress.ts'
import type { Behaviour, SandboxServer } from './behaviour.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'
import { createFacebookSandbox } from './facebook.ts'
import { createYoutubeSandbox } from './youtube.ts'

export interface Sandbox {
  aliexpress: SandboxServer
  facebook: SandboxServer
  youtube: Awaited<ReturnType<typeof createYoutubeSandbox>>
  totalCalls(): number
  resetCalls(): void
  close(): Promise<void>
}

export interface SandboxOptions {
  aliexpress?: Partial<Behaviour>
  facebook?: Partial<Behaviour>
  youtube?: Partial<Behaviour>
  /** the sandbox's own daily search.list limit (the client counts its own budget too) */
  youtubeSearchDailyLimit?: number
  /** Graph calls per rolling hour that bring the sandbox's x-app-usage to 100% (Meta's is about 200) */
  facebookAppCallBudget?: number
}

/** The three simulated upstreams on loopback ports. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const [aliexpress, facebook, youtube] = await Promise.all([
    createAliexpressSandbox({ behaviour: options.aliexpress }),
    createFacebookSandbox({ behaviour: options.facebook, appCallBudget: options.facebookAppCallBudget }),
    createYoutubeSandbox({ behaviour: options.youtube, searchDailyLimit: options.youtubeSearchDailyLimit }),
  ])
  const all = [aliexpress, facebook, youtube]
  return {
    aliexpress,
    facebook,
    youtube,
    totalCalls: () => all.reduce((sum, s) => sum + s.totalCalls(), 0),
    resetCalls: () => {
      for (const s of all) s.resetCalls()
    },
    close: async () => {
      await Promise.all(all.map((s) => s.close()))
    },
  }
}

export interface SandboxUrls {
  aliexpress: string
  facebook: string
  youtube: string
}

/** The config pointed at sandbox servers, with the credentials they accept: the real clients sign and send them. */
export function withSandbox(config: Config, sandbox: { aliexpress: { url: string }; facebook: { url: string }; youtube: { url: string } }): Config {
  return withSandboxUrls(config, { aliexpress: sandbox.aliexpress.url, facebook: sandbox.facebook.url, youtube: sandbox.youtube.url })
}

export function withSandboxUrls(config: Config, urls: SandboxUrls): Config {
  return {
    ...config,
    sandbox: true,
    aliexpress: { ...config.aliexpress, ...SANDBOX_CREDENTIALS.aliexpress, apiUrl: urls.aliexpress },
    facebook: { ...config.facebook, ...SANDBOX_CREDENTIALS.facebook, graphUrl: urls.facebook },
    youtube: { ...config.youtube, ...SANDBOX_CREDENTIALS.youtube, apiUrl: urls.youtube },
  }
}

/**
 * A sandbox already running elsewhere (`npm run sandbox`, or the load suite's driver), named by the
 * three *_URL variables pointing at loopback; undefined when they are not all set that way.
 */
export function externalSandboxUrls(env: NodeJS.ProcessEnv): SandboxUrls | undefined {
  const urls = { aliexpress: env.ALIEXPRESS_API_URL, facebook: env.FACEBOOK_GRAPH_URL, youtube: env.YOUTUBE_API_URL }
  const loopback = (u: string | undefined) => !!u && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u)
  return loopback(urls.aliexpress) && loopback(urls.facebook) && loopback(urls.youtube) ? (urls as SandboxUrls) : undefined
}

/**
 * The config a process runs with: unchanged with real upstreams; in sandbox mode pointed at a sandbox
 * already running (externalSandboxUrls) or at one started here, which the caller closes.
 */
export async function sandboxFor(config: Config, env: NodeJS.ProcessEnv): Promise<{ config: Config; sandbox?: Sandbox }> {
  if (!config.sandbox) return { config }
  const external = externalSandboxUrls(env)
  if (external) return { config: withSandboxUrls(config, external) }
  const sandbox = await startSandbox(sandboxOptionsFromEnv(env))
  return { config: withSandbox(config, sandbox), sandbox }
}

/**
 * Sandbox behaviour from the environment: SANDBOX_LATENCY_MS=aliexpress:150,facebook:250,youtube:200
 * (or all:100), SANDBOX_FAULT=http503|timeout|rate_limit|..., SANDBOX_FAULT_RATE=0.1,
 * SANDBOX_YOUTUBE_SEARCH_LIMIT=100, SANDBOX_FACEBOOK_CALL_BUDGET=200 (calls per hour).
 */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv): SandboxOptions {
  const options: SandboxOptions = {}
  if (env.SANDBOX_YOUTUBE_SEARCH_LIMIT) options.youtubeSearchDailyLimit = Number(env.SANDBOX_YOUTUBE_SEARCH_LIMIT)
  if (env.SANDBOX_FACEBOOK_CALL_BUDGET) options.facebookAppCallBudget = Number(env.SANDBOX_FACEBOOK_CALL_BUDGET)
  const latency = new Map((env.SANDBOX_LATENCY_MS ?? '').split(',').filter(Boolean).map((p) => p.split(':') as [string, string]))
  const faultRate = env.SANDBOX_FAULT_RATE ? Number(env.SANDBOX_FAULT_RATE) : undefined
  const fault = env.SANDBOX_FAULT as Behaviour['fault'] | undefined
  for (const name of ['aliexpress', 'facebook', 'youtube'] as const) {
    const patch: Partial<Behaviour> = {}
    const ms = latency.get(name) ?? latency.get('all')
    if (ms !== undefined) patch.latencyMs = Number(ms)
    if (faultRate !== undefined) patch.faultRate = faultRate
    if (fault) patch.fault = fault
    options[name] = patch
  }
  return options
}
