import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, normalize } from 'node:path'
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { parseDocument } from 'yaml'
import { EnvSchema } from '../../src/config.ts'

// render.yaml against Render's published Blueprint schema (vendored: deploy/schemas/README.md says from
// where), then what the schema cannot know: that files and references point at something real, and that
// every variable set is one the app reads (a misspelt key is otherwise silently ignored by both).

const SCHEMA_FILE = new URL('../../deploy/schemas/render-blueprint.schema.json', import.meta.url)
const SCHEMA_ID = 'https://render.com/schema/render.yaml.json'
const SRC = new URL('../../src/', import.meta.url)
// Read by Node itself rather than by the app.
const NODE_VARIABLES = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'UV_THREADPOOL_SIZE', 'TZ']

interface EnvVar {
  key?: string
  fromService?: { type?: string; name?: string }
  fromDatabase?: { name?: string }
  fromGroup?: string
}
interface Service {
  type?: string
  name?: string
  runtime?: string
  dockerfilePath?: string
  dockerContext?: string
  envVars?: EnvVar[]
}
interface Blueprint {
  services?: Service[]
  databases?: { name?: string }[]
  envVarGroups?: { name?: string }[]
}

let compiled: { whole: ValidateFunction; definition: (name: string) => ValidateFunction } | undefined

function validators() {
  if (compiled) return compiled
  // strictTypes off: Render's schema puts `required` beside `allOf` without `type: object`, which Ajv's
  // strict mode rejects although it is valid JSON Schema. Every other strict check stays on.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false })
  const whole = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')))
  const definition = (name: string) => ajv.getSchema(`${SCHEMA_ID}#/definitions/${name}`)!
  compiled = { whole, definition }
  return compiled
}

export function checkRenderBlueprint(root: string, file = 'render.yaml'): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) return doc.errors.map((e) => `${file}: ${e.message}`)
  const blueprint = doc.toJS() as Blueprint
  const { whole, definition } = validators()
  if (!whole(blueprint)) return schemaProblems(file, blueprint, whole.errors ?? [], definition)

  const problems: string[] = []
  const known = appVariables()
  const services = blueprint.services ?? []
  const databases = new Set((blueprint.databases ?? []).map((d) => d.name))
  const groups = new Set((blueprint.envVarGroups ?? []).map((g) => g.name))
  for (const [index, service] of services.entries()) {
    const where = `${file}: services[${index}] (${service.name})`
    for (const path of [service.dockerfilePath, service.dockerContext]) {
      if (path !== undefined && !existsSync(join(root, path))) problems.push(`${where}: ${path} does not exist`)
    }
    const keys = new Set<string>()
    for (const envVar of service.envVars ?? []) {
      if (envVar.key !== undefined) {
        if (keys.has(envVar.key)) problems.push(`${where}: ${envVar.key} is set twice`)
        keys.add(envVar.key)
        if (buildsThisApp(service) && !known.has(envVar.key)) {
          problems.push(`${where}: ${envVar.key} is not a variable the app reads (src/config.ts, the sandbox) or Node reads`)
        }
      }
      const ref = envVar.fromService
      if (ref && !services.some((s) => s.name === ref.name && s.type === ref.type)) {
        problems.push(`${where}: ${envVar.key} refers to a ${ref.type} service named ${ref.name}, which this blueprint does not define`)
      }
      if (envVar.fromDatabase && !databases.has(envVar.fromDatabase.name)) {
        problems.push(`${where}: ${envVar.key} refers to a database named ${envVar.fromDatabase.name}, which this blueprint does not define`)
      }
      if (envVar.fromGroup !== undefined && !groups.has(envVar.fromGroup)) {
        problems.push(`${where}: environment group ${envVar.fromGroup} is not defined in this blueprint`)
      }
    }
  }
  return problems
}

/**
 * The schema lists services as an anyOf of four shapes, so a single mistake is reported against every
 * shape. Checking each service against the shape its `type` selects gives the one message that matters.
 */
function schemaProblems(file: string, blueprint: Blueprint, errors: ErrorObject[], definition: (name: string) => ValidateFunction): string[] {
  const problems: string[] = []
  const services = Array.isArray(blueprint.services) ? blueprint.services : []
  for (const [index, service] of services.entries()) {
    const shape = shapeOf(service)
    const validate = shape && definition(shape)
    if (!validate || validate(service)) continue
    for (const e of validate.errors ?? []) problems.push(`${file}: services[${index}]${e.instancePath} ${describe(e)}`)
  }
  if (problems.length > 0) return problems
  return errors.map((e) => `${file}: ${e.instancePath || '/'} ${describe(e)}`)
}

/** config.ts's schema, the variables the sandbox reads for itself (`env.NAME`), and Node's own. */
function appVariables(): Set<string> {
  const names = new Set([...Object.keys(EnvSchema.properties), ...NODE_VARIABLES])
  for (const file of readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    for (const match of readFileSync(new URL(file, SRC), 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(match[1]!)
  }
  return names
}

function buildsThisApp(service: Service): boolean {
  return service.runtime === 'docker' && normalize(service.dockerfilePath ?? 'Dockerfile') === 'Dockerfile'
}

function shapeOf(service: Service): string | undefined {
  if (service.type === 'keyvalue' || service.type === 'redis') return 'redisServer'
  if (service.type === 'cron') return 'cronService'
  if (service.runtime === 'static') return 'staticService'
  if (service.type === 'web' || service.type === 'pserv' || service.type === 'worker') return 'serverService'
  return undefined
}

function describe(e: ErrorObject): string {
  const params = e.params as { additionalProperty?: string; allowedValues?: unknown[] }
  if (params.additionalProperty) return `has unknown property '${params.additionalProperty}'`
  if (params.allowedValues) return `${e.message}: ${params.allowedValues.join(', ')}`
  return e.message ?? 'is invalid'
}
