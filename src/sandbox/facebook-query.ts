import type { SandboxReply } from './behaviour.ts'
import { badParam } from './facebook-errors.ts'
import { type Cursor, decodeCursor } from './facebook-wire.ts'

// The ads_archive query checked as Graph checks it, each refusal in Graph's own words
// (https://developers.facebook.com/docs/graph-api/reference/ads_archive/).

export interface ArchiveQuery {
  countries: string[]
  /** ad_active_status */
  activeStatus: string
  terms: string
  limit: number
  cursor: Cursor
  fields: Set<string>
}

const DEFAULT_LIMIT = 25
const AD_TYPES = ['ALL', 'POLITICAL_AND_ISSUE_ADS', 'HOUSING_ADS', 'EMPLOYMENT_ADS', 'FINANCIAL_PRODUCTS_AND_SERVICES_ADS']
const STATUSES = ['ACTIVE', 'INACTIVE', 'ALL']
// ISO codes the sandbox accepts in ad_reached_countries: the EU/EEA, the UK and a few others.
const COUNTRIES = new Set(
  'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK GB NO IS LI CH US CA BR MX AU NZ IN JP'.split(' '),
)

export function parseArchiveQuery(q: URLSearchParams): ArchiveQuery | SandboxReply {
  const countries = parseCountries(q.get('ad_reached_countries'))
  if (!Array.isArray(countries)) return countries
  const adType = q.get('ad_type')
  if (!adType) return badParam('The parameter ad_type is required')
  if (!AD_TYPES.includes(adType)) return badParam(`Param ad_type must be one of {${AD_TYPES.join(', ')}}`)
  const activeStatus = q.get('ad_active_status') ?? 'ACTIVE'
  if (!STATUSES.includes(activeStatus)) return badParam(`Param ad_active_status must be one of {${STATUSES.join(', ')}}`)
  const terms = q.get('search_terms') ?? ''
  if (terms.trim() === '' && !q.get('search_page_ids')) return badParam('The parameter search_terms or search_page_ids is required')
  const rawLimit = q.get('limit')
  const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit)
  if (!Number.isInteger(limit) || limit < 1) return badParam('Param limit must be a positive integer')
  const after = q.get('after')
  const cursor = after === null ? { offset: 0, emptyServed: false } : decodeCursor(after)
  if (!cursor) return badParam('Invalid cursor')
  // Without `fields` Graph returns bare ids.
  const fields = new Set((q.get('fields') ?? 'id').split(',').map((f) => f.trim()))
  return { countries, activeStatus, terms, limit, cursor, fields }
}

function parseCountries(raw: string | null): string[] | SandboxReply {
  if (raw === null || raw.trim() === '') return badParam('The parameter ad_reached_countries is required')
  let list: unknown
  try {
    // Graph takes the array literal with either quote style: ['DE','FR'] or ["DE","FR"].
    list = JSON.parse(raw.replace(/'/g, '"'))
  } catch {
    list = undefined
  }
  if (!Array.isArray(list) || list.length === 0) return badParam('Param ad_reached_countries must be an array')
  const allowed = [...COUNTRIES].sort().join(', ')
  for (const [i, code] of list.entries()) {
    if (typeof code !== 'string' || !COUNTRIES.has(code)) return badParam(`Param ad_reached_countries[${i}] must be one of {${allowed}}.`)
  }
  return list as string[]
}
