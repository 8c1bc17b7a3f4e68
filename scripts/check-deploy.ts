// npm run check:deploy [-- <root>]: the deploy files, checked without Docker or a Render account.
// - Dockerfile: dockerfile-utils' validator with every rule on, plus multi-stage, node:24-slim, production
//   dependencies only, non-root USER, HEALTHCHECK, exec-form CMD (scripts/deploy/dockerfile.ts)
// - .dockerignore: lets through every path the Dockerfile copies, and no secret, test, profile, data or
//   history (scripts/deploy/dockerignore.ts)
// - the image's runtime dependencies: every package the copied code imports is installed by
//   `npm ci --omit=dev`, and every dependency is imported (scripts/deploy/runtime-deps.ts)
// - render.yaml: Render's Blueprint JSON Schema, plus references and variable names
//   (scripts/deploy/render-blueprint.ts)
// Exits 1 when any check finds a problem. Building the image is not checked: that needs a Docker engine.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { checkDockerfile } from './deploy/dockerfile.ts'
import { checkDockerignore } from './deploy/dockerignore.ts'
import { checkRenderBlueprint } from './deploy/render-blueprint.ts'
import { checkRuntimeDeps } from './deploy/runtime-deps.ts'

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'))

const dockerfile = checkDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'))
const checks: [string, string[]][] = [
  ['Dockerfile', dockerfile.problems],
  ['.dockerignore', checkDockerignore(root, dockerfile.contextSources)],
  [`runtime dependencies of ${dockerfile.runtimeSources.join(', ')}`, await checkRuntimeDeps(root, dockerfile.runtimeSources)],
  ['render.yaml', checkRenderBlueprint(root)],
]

for (const [name, problems] of checks) {
  console.log(`${problems.length === 0 ? 'ok' : 'FAIL'}  ${name}`)
  for (const problem of problems) console.log(`      ${problem}`)
}
process.exitCode = checks.some(([, problems]) => problems.length > 0) ? 1 : 0
