import type { PGlite, Transaction } from '@electric-sql/pglite'
import { type Answer, json, preferOf, type Recorded } from './postgrest.ts'

// The part of PostgREST the Supabase store uses, answered with real SQL on a real database (PGlite),
// in one transaction per request under the role its key stands for, as PostgREST does. It follows
// PostgREST's documented translation (https://docs.postgrest.org/en/v12/references/api/tables_views.html):
// horizontal filters, select with aliases and JSON paths, order, limit/offset, bulk insert with
// `columns`, upsert with on_conflict and Prefer resolution; functions called by POST with named
// arguments in a JSON object (https://docs.postgrest.org/en/v12/references/api/functions.html); and
// its error body and HTTP status
// (https://docs.postgrest.org/en/v12/references/errors.html). Anything else is answered 501 naming
// what is missing, so a store that starts relying on more fails here rather than being answered wrongly.
// It is not PostgREST: its schema cache, JWT checks and query planner details are not reproduced.

const TABLES = new Set(['products', 'validations'])
const FUNCTIONS = new Set(['popular_products', 'top_validations'])
const IDENT = /^[a-z_][a-z0-9_]*$/
const COMPARISONS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }

class NotEmulated extends Error {}

interface Plan {
  sql: string
  params: unknown[]
  reply(rows: Record<string, unknown>[]): { status: number; body?: string; headers?: Record<string, string> }
}

export interface SqlPostgrestOptions {
  /** each API key and the database role it stands for, e.g. { [serviceRoleKey]: 'service_role' } */
  keys: Record<string, string>
}

export function sqlPostgrest(db: PGlite, options: SqlPostgrestOptions): Answer {
  return async (req, res) => {
    const key = String(req.headers.apikey ?? '')
    const role = options.keys[key]
    if (!role || req.headers.authorization !== `Bearer ${key}`) {
      json(res, 401, { message: 'Invalid API key' })
      return
    }
    let plan: Plan
    try {
      plan = planOf(req)
    } catch (err) {
      if (!(err instanceof NotEmulated)) throw err
      json(res, 501, { code: 'STAND-IN', message: `not emulated: ${err.message}`, details: null, hint: null })
      return
    }
    try {
      const rows = await db.transaction(async (tx: Transaction) => {
        await tx.query("SELECT set_config('role', $1, true)", [role])
        return (await tx.query<Record<string, unknown>>(plan.sql, plan.params)).rows
      })
      const { status, body, headers } = plan.reply(rows)
      json(res, status, body, headers)
    } catch (err) {
      const e = err as { code?: unknown; message?: string; detail?: string; hint?: string }
      if (typeof e.code !== 'string') throw err
      json(res, httpStatus(e.code, role), { code: e.code, details: e.detail ?? null, hint: e.hint ?? null, message: e.message ?? '' })
    }
  }
}

function planOf(req: Recorded): Plan {
  const fn = /^\/rest\/v1\/rpc\/([a-z_]+)$/.exec(req.path)?.[1]
  if (fn) return planCall(fn, req)
  const table = /^\/rest\/v1\/([a-z_]+)$/.exec(req.path)?.[1]
  if (!table || !TABLES.has(table)) throw new NotEmulated(`path ${req.path}`)
  const profile = req.headers[req.method === 'GET' ? 'accept-profile' : 'content-profile']
  if (profile !== undefined && profile !== 'public') throw new NotEmulated(`schema ${String(profile)}`)
  if (req.method === 'GET') return planSelect(table, req)
  if (req.method === 'POST') return planInsert(table, req)
  throw new NotEmulated(`method ${req.method}`)
}

function planSelect(table: string, req: Recorded): Plan {
  const params: unknown[] = []
  const where: string[] = []
  let columns = '*'
  let tail = ''
  let offset = 0
  for (const [key, value] of req.query) {
    if (key === 'select') columns = selectList(value)
    else if (key === 'order') tail = ` ORDER BY ${orderList(value)}${tail}`
    else if (key === 'limit') tail += ` LIMIT ${count(value)}`
    else if (key === 'offset') {
      offset = count(value)
      tail += ` OFFSET ${offset}`
    } else where.push(filter(key, value, params))
  }
  for (const pref of preferOf(req)) if (pref !== 'return=representation') throw new NotEmulated(`Prefer ${pref} on GET`)
  const inner = `SELECT ${columns} FROM ${ident(table)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}${tail}`
  return {
    // How PostgREST builds its answer: PostgreSQL itself renders each row as JSON.
    sql: `SELECT coalesce(json_agg(_postgrest_t), '[]')::text AS body, count(_postgrest_t)::int AS n FROM (${inner}) _postgrest_t`,
    params,
    reply([row]) {
      const n = Number(row?.n ?? 0)
      return { status: 200, body: String(row?.body ?? '[]'), headers: { 'content-range': n > 0 ? `${offset}-${offset + n - 1}/*` : '*/*' } }
    },
  }
}

function planInsert(table: string, req: Recorded): Plan {
  let resolution: 'merge-duplicates' | 'ignore-duplicates' | undefined
  let missingDefault = false
  for (const pref of preferOf(req)) {
    if (pref === 'resolution=merge-duplicates' || pref === 'resolution=ignore-duplicates') resolution = pref.slice(11) as typeof resolution
    else if (pref === 'missing=default') missingDefault = true
    else if (pref !== 'return=minimal') throw new NotEmulated(`Prefer ${pref} on POST`)
  }
  for (const key of req.query.keys()) if (key !== 'columns' && key !== 'on_conflict') throw new NotEmulated(`${key} on POST`)
  const rows = (Array.isArray(req.body) ? req.body : [req.body]) as Record<string, unknown>[]
  if (!rows.every((row) => row !== null && typeof row === 'object' && !Array.isArray(row))) throw new NotEmulated('a body that is not objects')
  const listed = req.query.get('columns')
  const columns = listed === null ? Object.keys(rows[0] ?? {}) : listed.split(',').map((c) => c.replace(/^"(.*)"$/, '$1'))
  if (missingDefault && rows.some((row) => columns.some((c) => !(c in row)))) throw new NotEmulated('missing=default with a key absent from a row')
  const conflict = req.query.get('on_conflict')?.split(',')
  if ((conflict === undefined) !== (resolution === undefined)) throw new NotEmulated('on_conflict and Prefer resolution apart')
  const list = columns.map(ident).join(', ')
  let sql = `INSERT INTO ${ident(table)} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${ident(table)}, $1::json)`
  if (conflict && resolution === 'ignore-duplicates') sql += ` ON CONFLICT (${conflict.map(ident).join(', ')}) DO NOTHING`
  if (conflict && resolution === 'merge-duplicates') {
    const updated = columns.filter((c) => !conflict.includes(c)).map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`)
    sql += ` ON CONFLICT (${conflict.map(ident).join(', ')}) DO UPDATE SET ${updated.join(', ')}`
  }
  return { sql, params: [JSON.stringify(rows)], reply: () => ({ status: 201, headers: { 'content-range': '*/*' } }) }
}

/** A set-returning function with named arguments, answered as a JSON array of its rows. */
function planCall(fn: string, req: Recorded): Plan {
  if (!FUNCTIONS.has(fn)) throw new NotEmulated(`function ${fn}`)
  if (req.method !== 'POST') throw new NotEmulated(`${req.method} of a function`)
  if ([...req.query.keys()].length > 0) throw new NotEmulated('filters or select on a function')
  if (preferOf(req).length > 0) throw new NotEmulated(`Prefer ${preferOf(req).join(',')} on a function`)
  const args = req.body
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new NotEmulated('function arguments that are not an object')
  const params: unknown[] = []
  const named = Object.entries(args).map(([name, value]) => {
    params.push(value)
    return `${ident(name)} => $${params.length}`
  })
  return {
    sql: `SELECT coalesce(json_agg(_postgrest_t), '[]')::text AS body FROM ${ident(fn)}(${named.join(', ')}) _postgrest_t`,
    params,
    reply: ([row]) => ({ status: 200, body: String(row?.body ?? '[]') }),
  }
}

/** `alias:column->key->>key` items; no embedding, casts or spreads. */
function selectList(value: string): string {
  return value
    .split(',')
    .map((item) => {
      if (item === '*') return '*'
      const match = /^(?:([a-z_][a-z0-9_]*):)?([a-z_][a-z0-9_]*)((?:->>?[a-zA-Z0-9_]+)*)$/.exec(item)
      if (!match) throw new NotEmulated(`select item ${item}`)
      const [, alias, column, path] = match as unknown as [string, string | undefined, string, string]
      const steps = [...path.matchAll(/(->>?)([a-zA-Z0-9_]+)/g)].map(([, arrow, key]) => `${arrow}${/^\d+$/.test(key!) ? key : `'${key}'`}`)
      const name = alias ?? (steps.length > 0 ? path.split(/->>?/).at(-1)! : column)
      return `${ident(column)}${steps.join('')} AS ${ident(name)}`
    })
    .join(', ')
}

function orderList(value: string): string {
  return value
    .split(',')
    .map((item) => {
      const match = /^([a-z_][a-z0-9_]*)(?:\.(asc|desc))?(?:\.(nullsfirst|nullslast))?$/.exec(item)
      if (!match) throw new NotEmulated(`order ${item}`)
      const nulls = match[3] === 'nullsfirst' ? ' NULLS FIRST' : match[3] === 'nullslast' ? ' NULLS LAST' : ''
      return `${ident(match[1]!)} ${(match[2] ?? 'asc').toUpperCase()}${nulls}`
    })
    .join(', ')
}

function filter(column: string, value: string, params: unknown[]): string {
  const dot = value.indexOf('.')
  const op = value.slice(0, dot)
  const operand = value.slice(dot + 1)
  if (dot > 0 && op in COMPARISONS) {
    // Untyped, as PostgREST sends it: PostgreSQL reads the value as the column's type.
    params.push(operand)
    return `${ident(column)} ${COMPARISONS[op]} $${params.length}`
  }
  if (op === 'is' && ['null', 'true', 'false', 'unknown'].includes(operand)) return `${ident(column)} IS ${operand.toUpperCase()}`
  throw new NotEmulated(`filter ${column}=${value}`)
}

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new NotEmulated(`a limit or offset of ${value}`)
  return Number(value)
}

function ident(name: string): string {
  if (!IDENT.test(name)) throw new NotEmulated(`identifier ${name}`)
  return `"${name}"`
}

/** PostgREST's table of SQLSTATE to HTTP status. */
function httpStatus(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403
  const exact: Record<string, number> = { '23503': 409, '23505': 409, '25006': 405, '53400': 500, P0001: 400, '42883': 404, '42P01': 404, '42P17': 500 }
  const byClass: Record<string, number> = {
    '08': 503,
    '09': 500,
    '0L': 403,
    '0P': 403,
    '25': 500,
    '28': 403,
    '2D': 500,
    '38': 500,
    '39': 500,
    '3B': 500,
    '40': 500,
    '53': 503,
    '54': 500,
    '55': 500,
    '57': 500,
    '58': 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  }
  return exact[code] ?? byClass[code.slice(0, 2)] ?? 400
}
