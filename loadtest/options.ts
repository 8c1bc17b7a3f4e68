// What a run of the load suite is asked to do (loadtest/run.ts reads it from the command line).

export type ScenarioGroup = 'a' | 'b' | 'c' | 'd' | 'e' | 'p'
export const ALL_GROUPS: readonly ScenarioGroup[] = ['a', 'b', 'c', 'd', 'e', 'p']

export interface SuiteOptions {
  groups: ReadonlySet<ScenarioGroup>
  /** seconds of the timed runs: (b), (e) and the profile */
  durationS: number
  quick: boolean
  /** an already running API instead of a child; no sandbox, memory or profile then */
  url?: string
  outDir: string
  command: string
  /** persistence into this PostgreSQL; off without it */
  databaseUrl?: string
  cacheMemoryMaxBytes: number
  log: (line: string) => void
}
