import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { isBuiltin, stripTypeScriptTypes } from 'node:module'
import { join, relative } from 'node:path'
import { init, parse } from 'es-module-lexer'

// The image installs `npm ci --omit=dev`: a package that runtime code imports but that is only a
// devDependency (or that the lockfile marks dev-only) is missing there and the process dies on start,
// which no test run from a full checkout notices. This reads every module the image contains and checks
// each bare import against package.json and package-lock.json. Types are stripped the way Node strips
// them when it runs the file, so `import type` lines (erased) do not count and `import { type X }`
// (kept as `import {} from`, which still loads the package) does.

const CODE = /\.(ts|mts|js|mjs)$/

interface Manifest {
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}
interface Lockfile {
  packages: Record<string, { dev?: boolean; devOptional?: boolean }>
}

export async function checkRuntimeDeps(root: string, sources: string[]): Promise<string[]> {
  await init
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile
  const dependencies = manifest.dependencies ?? {}
  const problems: string[] = []
  const used = new Set<string>()

  const missing = sources.filter((source) => !existsSync(join(root, source)))
  for (const source of missing) problems.push(`Dockerfile copies ${source}, which is not in the repository`)
  const files = sources.filter((source) => !missing.includes(source)).flatMap((source) => codeFiles(join(root, source)))
  for (const file of files) {
    const where = relative(root, file)
    for (const specifier of importsOf(file)) {
      if (specifier === undefined) {
        problems.push(`${where}: an import() with a computed specifier cannot be checked; import a literal module name`)
        continue
      }
      const name = packageName(specifier)
      if (!name) continue
      used.add(name)
      const locked = lock.packages[`node_modules/${name}`]
      if (!(name in dependencies)) {
        const why = manifest.devDependencies && name in manifest.devDependencies ? 'only a devDependency' : 'not a dependency'
        problems.push(`${where}: imports '${specifier}', but ${name} is ${why}; npm ci --omit=dev leaves it out of the image`)
      } else if (!locked || locked.dev || locked.devOptional) {
        problems.push(`${where}: imports ${name}, which package-lock.json does not install for production; run npm install`)
      }
    }
  }
  for (const name of Object.keys(dependencies)) {
    if (!used.has(name)) problems.push(`package.json: ${name} is a dependency, but nothing the image runs imports it; make it a devDependency`)
  }
  return problems
}

function codeFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return CODE.test(path) && !path.endsWith('.d.ts') ? [path] : []
  return readdirSync(path)
    .sort()
    .flatMap((entry) => codeFiles(join(path, entry)))
}

/** The specifiers a module loads at run time; undefined for an import() whose argument is not a literal. */
function importsOf(file: string): (string | undefined)[] {
  const source = readFileSync(file, 'utf8')
  const code = /\.m?ts$/.test(file) ? stripTypeScriptTypes(source) : source
  const [imports] = parse(code, file)
  return imports.flatMap((i) => (i.type === 'import-meta' ? [] : [i.specifier]))
}

/** The npm package a bare specifier resolves into; undefined for builtins, relative paths and URLs. */
function packageName(specifier: string): string | undefined {
  if (isBuiltin(specifier) || /^(\.|\/|#|[a-z]+:)/.test(specifier)) return undefined
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}
