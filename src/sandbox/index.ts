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
}

/** The three simulated upstreams on loopback ports. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const [aliexpress, facebook, youtube] = await Promise.all([
    createAliexpressSandbox({ behaviour: options.aliexpress }),
    createFacebookSandbox({ behaviour: options.facebook }),
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

/** The config pointed at the sandbox, with the credentials it accepts: the real clients sign and send them. */
export function withSandbox(config: Config, sandbox: Pick<Sandbox, 'aliexpress' | 'facebook' | 'youtube'>): Config {
  return {
    ...config,
    sandbox: true,
    aliexpress: { ...config.aliexpress, ...SANDBOX_CREDENTIALS.aliexpress, apiUrl: `${sandbox.aliexpress.url}/sync` },
    facebook: { ...config.facebook, ...SANDBOX_CREDENTIALS.facebook, graphUrl: sandbox.facebook.url },
    youtube: { ...config.youtube, ...SANDBOX_CREDENTIALS.youtube, apiUrl: sandbox.youtube.url },
  }
}

/** Sandbox behaviour from the environment, e.g. SANDBOX_LATENCY_MS=aliexpress:150,facebook:250 SANDBOX_FAULT_RATE=0.1 */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv): SandboxOptions {
  const options: SandboxOptions = {}
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
