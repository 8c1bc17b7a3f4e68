import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Behaviour, DEFAULT_LATENCY_MS, defaultBehaviour, type SandboxReply, type SandboxRequest, type SandboxServer, startSandboxServer } from './behaviour.ts'
import { wireRecord } from './aliexpress-wire.ts'
import { type CatalogueProduct, catalogueProduct, searchCatalogue } from './catalogue.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'

// The AliExpress Open Platform /sync gateway (https://openservice.aliexpress.com) for the two
// affiliate reads. The signature check is written here from the documented algorithm
// (https://open.alitrip.com/docs/doc.htm?articleId=120692&docType=1&treeId=727) on purpose, without
// importing the client's signer, so that the client and the sandbox check each other.

export interface AliexpressSandboxOptions {
  behaviour?: Partial<Behaviour>
  appKey?: string
  appSecret?: string
}

const MAX_CLOCK_SKEW_MS = 7_200_000
const MAX_REMEMBERED_LISTINGS = 100_000
const METHOD_PREFIX = 'aliexpress.affiliate.'

type Params = Map<string, string>

function readParams(req: SandboxRequest): Params {
  // The IOP SDK puts system parameters in the query and business ones in the body; accept both.
  const params: Params = new Map(req.url.searchParams)
  const type = String(req.headers['content-type'] ?? '')
  if (req.method === 'POST' && (type.includes('application/x-www-form-urlencoded') || type === '')) {
    for (const [name, value] of new URLSearchParams(req.body)) params.set(name, value)
  }
  return params
}

function reply(body: unknown): SandboxReply {
  return { status: 200, body: JSON.stringify(body) }
}

function gatewayError(code: string | number, msg: string, extra: Record<string, string> = {}, type = 'ISV'): SandboxReply {
  return reply({
    error_response: {
      type,
      code,
      msg,
      ...extra,
      request_id: randomBytes(12).toString('hex').slice(0, 25),
      _trace_id_: randomBytes(15).toString('hex'),
    },
  })
}

function envelope(method: string, respResult: Record<string, unknown>): SandboxReply {
  const key = `${method.replaceAll('.', '_')}_response`
  return reply({ [key]: { resp_result: respResult, request_id: randomBytes(12).toString('hex').slice(0, 25) } })
}

function signatureBase(params: Params): string {
  let base = ''
  const method = params.get('method') ?? ''
  if (method.includes('/')) base = method
  for (const name of [...params.keys()].sort()) {
    const value = params.get(name)!
    // The platform's TOP utility skips empty values; a client that signs them is rejected here.
    if (name !== 'sign' && value !== '') base += name + value
  }
  return base
}

function signatureMatches(params: Params, secret: string): boolean {
  const given = (params.get('sign') ?? '').toUpperCase()
  const base = signatureBase(params)
  const method = (params.get('sign_method') ?? '').toLowerCase()
  let expected: string
  if (method === 'sha256') expected = createHmac('sha256', secret).update(base, 'utf8').digest('hex')
  else if (method === 'md5') expected = createHash('md5').update(secret + base + secret, 'utf8').digest('hex')
  else return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected.toUpperCase())
  return a.length === b.length && timingSafeEqual(a, b)
}

function timestampMs(value: string): number {
  if (/^\d{13}$/.test(value)) return Number(value)
  // The legacy protocol's wall-clock timestamp (yyyy-MM-dd HH:mm:ss) is Beijing time, GMT+8.
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) return Date.parse(`${value.replace(' ', 'T')}+08:00`)
  return Date.parse(value)
}

function operationOf(params: Params): string {
  const method = params.get('method')
  if (!method) return 'unknown'
  return method.startsWith(METHOD_PREFIX) ? method.slice(METHOD_PREFIX.length) : method
}

function missing(name: string): SandboxReply {
  return gatewayError('MissingParameter', `The input parameter “${name}” that is mandatory for processing this request is not supplied.`)
}

function withFields(record: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  if (!fields) return record
  const wanted = new Set(fields.split(',').map((f) => f.trim()))
  wanted.add('product_id')
  return Object.fromEntries(Object.entries(record).filter(([name]) => wanted.has(name)))
}

function pageNumber(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = value && /^\d+$/.test(value) ? Number(value) : fallback
  return Math.min(max, Math.max(min, n))
}

const EMPTY = { resp_code: 405, resp_msg: 'The result is empty' }

export async function createAliexpressSandbox(options: AliexpressSandboxOptions = {}): Promise<SandboxServer> {
  const appKey = options.appKey ?? SANDBOX_CREDENTIALS.aliexpress.appKey
  const appSecret = options.appSecret ?? SANDBOX_CREDENTIALS.aliexpress.appSecret
  // Listings seen in a search answer the same in productdetail.get, as on the live site.
  const listed = new Map<string, CatalogueProduct>()

  function productDetail(params: Params): SandboxReply {
    const method = params.get('method')!
    const ids = params.get('product_ids')
    if (!ids) return missing('product_ids')
    const ctx = { currency: params.get('target_currency'), trackingId: params.get('tracking_id') }
    const products: Record<string, unknown>[] = []
    for (const id of new Set(ids.split(',').map((s) => s.trim()))) {
      if (!/^\d+$/.test(id)) continue
      const product = listed.get(id) ?? catalogueProduct(id)
      if (product) products.push(withFields(wireRecord(product, ctx), params.get('fields')))
    }
    if (products.length === 0) return envelope(method, EMPTY)
    return envelope(method, {
      resp_code: 200,
      resp_msg: 'Call succeeds',
      result: { current_record_count: products.length, products: { product: products } },
    })
  }

  function productQuery(params: Params): SandboxReply {
    const method = params.get('method')!
    const keywords = params.get('keywords')
    if (!keywords && !params.get('category_ids')) return missing('keywords')
    const all = searchCatalogue(keywords ?? '')
    for (const product of all) listed.set(product.productId, product)
    // Load runs search many terms; forgetting the oldest listings keeps memory bounded.
    for (const id of listed.keys()) {
      if (listed.size <= MAX_REMEMBERED_LISTINGS) break
      listed.delete(id)
    }
    const sorted = sortListings(all, params.get('sort'))
    const pageSize = pageNumber(params.get('page_size'), 20, 1, 50)
    const pageNo = pageNumber(params.get('page_no'), 1, 1, 10_000)
    const page = sorted.slice((pageNo - 1) * pageSize, pageNo * pageSize)
    if (page.length === 0) return envelope(method, EMPTY)
    const ctx = { currency: params.get('target_currency'), trackingId: params.get('tracking_id') }
    return envelope(method, {
      resp_code: 200,
      resp_msg: 'Call succeeds',
      result: {
        current_page_no: pageNo,
        current_record_count: page.length,
        total_page_no: Math.ceil(sorted.length / pageSize),
        total_record_count: sorted.length,
        products: { product: page.map((p) => withFields(wireRecord(p, ctx), params.get('fields'))) },
      },
    })
  }

  function answer(req: SandboxRequest): SandboxReply {
    const params = readParams(req)
    const method = params.get('method')
    if (!params.get('app_key')) return missing('app_key')
    if (!method) return missing('method')
    if (!params.get('sign')) return missing('sign')
    if (params.get('app_key') !== appKey) return gatewayError('InvalidApiKey', 'Specified api key is invalid')
    const timestamp = timestampMs(params.get('timestamp') ?? '')
    if (Number.isNaN(timestamp) || Math.abs(Date.now() - timestamp) > MAX_CLOCK_SKEW_MS) {
      return gatewayError('InvalidTimestamp', 'The specified timestamp or date is invalid')
    }
    if (!signatureMatches(params, appSecret)) {
      return gatewayError('IncompleteSignature', 'The request signature does not conform to platform standards')
    }
    if (method === 'aliexpress.affiliate.productdetail.get') return productDetail(params)
    if (method === 'aliexpress.affiliate.product.query') return productQuery(params)
    return gatewayError('InvalidApiPath', 'The specified API path is invalid')
  }

  const behaviour = { ...defaultBehaviour(DEFAULT_LATENCY_MS.aliexpress), ...options.behaviour }
  return startSandboxServer(
    'aliexpress',
    {
      operation: (req) => operationOf(readParams(req)),
      answer,
      fault(mode, req, b) {
        switch (mode) {
          case 'rate_limit':
          case 'quota':
            // AliExpress throttles in the body of an HTTP 200, not with a 429.
            return gatewayError(
              'ApiCallLimit',
              'App Call Limited',
              { sub_msg: `Api access frequency exceeds the limit. this ban will last ${b.retryAfterSeconds} seconds` },
              'ISP',
            )
          case 'error':
            return gatewayError(
              15,
              'Remote service error',
              { sub_code: 'isp.remote-service-error', sub_msg: 'The remote service is temporarily unavailable, please try again later' },
              'ISP',
            )
          case 'truncated': {
            const full = answer(req).body
            return { status: 200, body: full.slice(0, Math.max(1, Math.floor(full.length * 0.6))) }
          }
          default:
            return undefined
        }
      },
    },
    behaviour,
    '/sync',
  )
}

function sortListings(products: CatalogueProduct[], sort: string | undefined): CatalogueProduct[] {
  const copy = [...products]
  switch (sort) {
    case 'SALE_PRICE_ASC':
      return copy.sort((a, b) => a.salePriceUsd - b.salePriceUsd)
    case 'SALE_PRICE_DESC':
      return copy.sort((a, b) => b.salePriceUsd - a.salePriceUsd)
    case 'LAST_VOLUME_ASC':
      return copy.sort((a, b) => a.ordersLast30Days - b.ordersLast30Days)
    case 'LAST_VOLUME_DESC':
      return copy.sort((a, b) => b.ordersLast30Days - a.ordersLast30Days)
    default:
      return copy
  }
}
