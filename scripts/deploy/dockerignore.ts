import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import dockerignore from '@balena/dockerignore'

// .dockerignore decides what reaches the builder, with Docker's own matching rules (a port of Docker's
// Go matcher, not .gitignore's). A path the Dockerfile copies but the file ignores fails the build; a
// secret or a tool's output that it lets through ends up in the image. Both are checked here.

// Its types declare an ES default export; Node's default import of this CommonJS module is the function.
const ignore = dockerignore as unknown as typeof dockerignore.default

/** Sample paths that must never reach the image: secrets, test and tool output, local data, history. */
export const NEVER_IN_CONTEXT = [
  '.env',
  '.env.production',
  'src/.env',
  'src/.env.local',
  'data/pglite/PG_VERSION',
  '.git/HEAD',
  '.tap/processinfo/x.json',
  'test/config.test.ts',
  'src/config.test.ts',
  'loadtest/run.ts',
  'loadtest/results/report.md',
  'isolate-0x1-1-v8.log',
  'src/isolate-0x1-1-v8.log',
  'profile.cpuprofile',
  'heap.heapsnapshot',
  'node_modules/fastify/package.json',
  'scripts/bench-clients.ts',
]

export function checkDockerignore(root: string, copied: string[]): string[] {
  const path = join(root, '.dockerignore')
  if (!existsSync(path)) return ['.dockerignore is missing: the whole directory, .env and data/ included, would be sent to the builder']
  const rules = ignore().add(readFileSync(path, 'utf8'))
  const problems: string[] = []
  for (const source of copied) {
    const relative = source.replace(/^\.\//, '').replace(/\/$/, '')
    if (relative === '.' || relative === '') continue
    if (rules.ignores(relative)) problems.push(`.dockerignore excludes ${source}, which the Dockerfile copies: the build would fail`)
  }
  for (const sample of NEVER_IN_CONTEXT) {
    if (!rules.ignores(sample)) problems.push(`.dockerignore lets ${sample} into the build context`)
  }
  return problems
}
