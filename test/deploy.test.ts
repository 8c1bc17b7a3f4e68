import { spawnSync } from 'node:child_process'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { checkDockerfile } from '../scripts/deploy/dockerfile.ts'
import { checkDockerignore } from '../scripts/deploy/dockerignore.ts'
import { checkRenderBlueprint } from '../scripts/deploy/render-blueprint.ts'
import { checkRuntimeDeps } from '../scripts/deploy/runtime-deps.ts'
import { nodeArgsOf, PRODUCTION_NODE_ARGS } from '../loadtest/api-child.ts'

// The deploy files are checked by reading them (no Docker engine, no Render account): these tests run the
// real check on the repository's files, and on broken copies to show each check can fail.

const ROOT = join(import.meta.dirname, '..')
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')
const DOCKERFILE = read('Dockerfile')
const RENDER_YAML = read('render.yaml')

function checkDeploy(root?: string) {
  const args = ['--disable-warning=ExperimentalWarning', join(ROOT, 'scripts/check-deploy.ts'), ...(root ? [root] : [])]
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 })
}

/** A copy of what the checks read, to break one thing at a time. */
function copyOfRepo(t: Test): string {
  const dir = t.testdir({ scripts: {} })
  for (const path of ['Dockerfile', '.dockerignore', 'render.yaml', 'package.json', 'package-lock.json', 'src', 'schema', 'scripts/migrate.ts']) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true })
  }
  return dir
}

t.test('npm run check:deploy passes on the repository and fails, exiting 1, on a broken copy', async (t) => {
  const ok = checkDeploy()
  t.equal(ok.status, 0, ok.stdout + ok.stderr)
  t.match(ok.stdout, /^ok {2}Dockerfile$/m)
  t.match(ok.stdout, /^ok {2}\.dockerignore$/m)
  t.match(ok.stdout, /^ok {2}runtime dependencies of package\.json, src, schema, scripts\/migrate\.ts$/m)
  t.match(ok.stdout, /^ok {2}render\.yaml$/m)

  const dir = copyOfRepo(t)
  writeFileSync(join(dir, 'render.yaml'), RENDER_YAML.replace('region: frankfurt\n    healthCheckPath', 'region: mars\n    healthCheckPath'))
  const manifest = JSON.parse(read('package.json'))
  manifest.devDependencies.fastify = manifest.dependencies.fastify
  delete manifest.dependencies.fastify
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
  const bad = checkDeploy(dir)
  t.equal(bad.status, 1, bad.stdout + bad.stderr)
  t.match(bad.stdout, /^ok {2}Dockerfile$/m)
  t.match(bad.stdout, /^FAIL {2}render\.yaml\n.*services\[0\]\/region must be equal to one of the allowed values/m)
  t.match(bad.stdout, /src\/app\.ts: imports 'fastify', but fastify is only a devDependency/)
})

t.test('Dockerfile: the linter and the properties the image relies on', async (t) => {
  t.same(checkDockerfile(DOCKERFILE), {
    problems: [],
    runtimeSources: ['package.json', 'src', 'schema', 'scripts/migrate.ts'],
    contextSources: ['package.json', 'package-lock.json', 'package.json', 'src', 'schema', 'scripts/migrate.ts'],
    // What the load suite and the benchmarks measure is what the image runs.
    nodeArgs: nodeArgsOf(PRODUCTION_NODE_ARGS),
  })
  const broken = (from: string | RegExp, to: string) => {
    const changed = DOCKERFILE.replace(from, to)
    t.not(changed, DOCKERFILE, `${from} is in the Dockerfile`)
    return checkDockerfile(changed).problems
  }
  t.match(broken('USER node', 'USER root'), ['Dockerfile: the final stage must switch to a non-root USER'])
  t.match(broken('USER node\n', ''), ['Dockerfile: the final stage must switch to a non-root USER'])
  t.match(broken(/HEALTHCHECK[\s\S]*?\n {2}CMD[^\n]*\n/, ''), ['Dockerfile: the final stage must define a HEALTHCHECK'])
  t.match(broken('CMD ["node", "--no-allocation-site-pretenuring", "src/server.ts"]', 'CMD node src/server.ts'), [/exec-form \(JSON\) CMD so it receives SIGTERM/])
  t.match(broken('--omit=dev ', ''), [/^Dockerfile:\d+: npm ci\/install must pass --omit=dev/])
  t.match(broken('FROM node:24-slim\n', 'FROM node:22-slim\n'), [/^Dockerfile:\d+: every stage must build on node:24-slim \(found node:22-slim\)/])
  t.same(broken('FROM node:24-slim\n', 'FROM node:24.11.1-slim\n'), [], 'a pinned 24.x slim tag is fine')
  // dockerfile-utils' own rules: casing, duplicate CMD, relative WORKDIR, an unknown flag.
  t.match(broken('WORKDIR /app\nCOPY --from', 'workdir app\nCOPY --from'), [/uppercase/, /WORKDIR paths should be absolute/])
  t.match(broken('CMD ["node", "--no', 'CMD ["node"]\nCMD ["node", "--no'), [/only be one CMD/])
  t.match(broken('--interval=15s', '--intervl=15s'), [/Unknown flag: intervl/])
  t.match(checkDockerfile('FROM node:24-slim\nUSER node\nHEALTHCHECK CMD ["true"]\nCMD ["node"]\n').problems, [/expected a multi-stage build/])
})

t.test('.dockerignore: lets through what the Dockerfile copies, keeps secrets and output out', async (t) => {
  const dir = t.testdir({ '.dockerignore': read('.dockerignore') })
  const copied = checkDockerfile(DOCKERFILE).contextSources
  t.same(checkDockerignore(dir, copied), [])
  t.same(checkDockerignore(dir, [...copied, 'loadtest']), ['.dockerignore excludes loadtest, which the Dockerfile copies: the build would fail'])
  writeFileSync(join(dir, '.dockerignore'), read('.dockerignore').replace('**/.env.*\n', '').replace('!schema/\n', ''))
  t.same(checkDockerignore(dir, copied), [
    '.dockerignore excludes schema, which the Dockerfile copies: the build would fail',
    '.dockerignore lets src/.env.local into the build context',
  ])
  writeFileSync(join(dir, '.dockerignore'), 'node_modules\n')
  const open = checkDockerignore(dir, copied).join('\n')
  for (const path of ['.env', '.env.production', 'data/pglite/PG_VERSION', '.git/HEAD', 'test/config.test.ts', 'loadtest/results/report.md', 'profile.cpuprofile']) {
    t.ok(open.includes(`.dockerignore lets ${path} into the build context`), `${path} is reported`)
  }
})

t.test('runtime dependencies: what Node loads from the image must be a production dependency', async (t) => {
  // One directory per subtest: t.testdir() names it after the test.
  const fixture = (t: Test, files: Record<string, string>, dependencies: Record<string, string>, devLocked: string[] = []) =>
    t.testdir({
      'package.json': JSON.stringify({ dependencies, devDependencies: { 'types-only': '1', 'dev-tool': '1' } }),
      'package-lock.json': JSON.stringify({
        packages: Object.fromEntries(['kept', 'types-only', 'dev-tool'].map((n) => [`node_modules/${n}`, n === 'kept' && !devLocked.includes(n) ? {} : { dev: true }])),
      }),
      src: files,
    })

  t.test('builtins, import type, relative paths and .d.ts files need nothing', async (t) => {
    const dir = fixture(
      t,
      {
        'a.ts': "import { readFile } from 'node:fs/promises'\nimport type { T } from 'types-only'\nimport kept from 'kept/sub/path.js'\nexport const x: T = kept(readFile, import.meta.url)\n",
        'b.d.ts': "import type { X } from 'dev-tool'\nexport type Y = X\n",
        'c.js': "export { x } from './a.ts'\n",
      },
      { kept: '1' },
    )
    t.same(await checkRuntimeDeps(dir, ['src']), [])
  })

  t.test('devDependencies, unknown packages, computed imports and unused dependencies are reported', async (t) => {
    const dir = fixture(
      t,
      {
        // Node strips `type` from inside the braces but keeps the import, so the package is loaded.
        'a.ts': "import { type T } from 'types-only'\nexport const t: T | undefined = undefined\n",
        'b.ts': "export const tool = await import('dev-tool')\n",
        'c.ts': "const name = 'x'\nexport const m = await import(name)\n",
        'd.ts': "import missing from 'not-installed'\nexport default missing\n",
      },
      { kept: '1', unused: '1' },
    )
    t.same(await checkRuntimeDeps(dir, ['src', 'gone.ts']), [
      'Dockerfile copies gone.ts, which is not in the repository',
      "src/a.ts: imports 'types-only', but types-only is only a devDependency; npm ci --omit=dev leaves it out of the image",
      "src/b.ts: imports 'dev-tool', but dev-tool is only a devDependency; npm ci --omit=dev leaves it out of the image",
      'src/c.ts: an import() with a computed specifier cannot be checked; import a literal module name',
      "src/d.ts: imports 'not-installed', but not-installed is not a dependency; npm ci --omit=dev leaves it out of the image",
      'package.json: kept is a dependency, but nothing the image runs imports it; make it a devDependency',
      'package.json: unused is a dependency, but nothing the image runs imports it; make it a devDependency',
    ])
  })

  t.test('a lockfile that installs a dependency for development only is reported', async (t) => {
    const dir = fixture(t, { 'a.ts': "import kept from 'kept'\nexport default kept\n" }, { kept: '1' }, ['kept'])
    t.same(await checkRuntimeDeps(dir, ['src']), ['src/a.ts: imports kept, which package-lock.json does not install for production; run npm install'])
  })
})

t.test('render.yaml: Render Blueprint schema, then references and variable names', async (t) => {
  const dir = t.testdir({ Dockerfile: DOCKERFILE })
  const check = (yaml: string) => {
    writeFileSync(join(dir, 'render.yaml'), yaml)
    return checkRenderBlueprint(dir)
  }
  const broken = (from: string, to: string) => {
    t.ok(RENDER_YAML.includes(from), `${JSON.stringify(from)} is in render.yaml`)
    return check(RENDER_YAML.replace(from, to))
  }
  t.same(check(RENDER_YAML), [])
  t.same(broken('healthCheckPath:', 'healthCheck:'), ["render.yaml: services[0] has unknown property 'healthCheck'"])
  t.same(broken('    ipAllowList: []\n', ''), ["render.yaml: services[1] must have required property 'ipAllowList'"])
  t.same(broken('maxmemoryPolicy: allkeys-lru', 'maxmemoryPolicy: lru'), [
    'render.yaml: services[1]/maxmemoryPolicy must be equal to one of the allowed values: allkeys-lru, volatile-lru, allkeys-lfu, volatile-lfu, allkeys-random, volatile-random, volatile-ttl, noeviction',
  ])
  t.same(broken('targetCPUPercent: 70', 'targetCPUPercent: 95'), ['render.yaml: services[0]/scaling/targetCPUPercent must be <= 90'])
  t.match(broken('plan: standard', 'plan: standard\n    plan: pro'), [/Map keys must be unique/])
  t.same(broken('key: LOG_LEVEL', 'key: LOG_LEVLE'), ['render.yaml: services[0] (dropforge-api): LOG_LEVLE is not a variable the app reads (src/config.ts, the sandbox) or Node reads'])
  t.same(broken('key: LOG_LEVEL', 'key: SANDBOX_LATENCY_MS'), [], 'variables the sandbox reads for itself are known')
  t.same(broken('key: ADMIN_API_KEY', 'key: YOUTUBE_API_KEY'), ['render.yaml: services[0] (dropforge-api): YOUTUBE_API_KEY is set twice'])
  t.same(broken('dockerfilePath: ./Dockerfile', 'dockerfilePath: ./docker/Dockerfile'), ['render.yaml: services[0] (dropforge-api): ./docker/Dockerfile does not exist'])
  t.same(broken('name: dropforge-cache\n          property', 'name: cache\n          property'), [
    'render.yaml: services[0] (dropforge-api): REDIS_URL refers to a keyvalue service named cache, which this blueprint does not define',
  ])
})
