import { type Behaviour, DEFAULT_LATENCY_MS, defaultBehaviour, type SandboxReply, type SandboxRequest, type SandboxServer, startSandboxServer } from './behaviour.ts'
import { aliexpressFault, envelope, gatewayError, gatewayRefusal, missing, operationOf, type Params, readParams } from './aliexpress-gateway.ts'
import { dsFreightQuery, dsProductGet, sessionRefusal } from './aliexpress-ds.ts'
import { wireRecord } from './aliexpress-wire.ts'
import { type CatalogueProduct, catalogueProduct, searchCatalogue } from './catalogue.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'

// The AliExpress Open Platform /sync gateway (https://openservice.aliexpress.com) for the two
// affiliate reads, productdetail.get and product.query, and the two dropshipping reads behind freight
// (aliexpress-ds.ts), over the simulated catalogue. The signature
// check (aliexpress-gateway.ts) is written from the documented algorithm on purpose, without
// importing the client's signer, so that the client and the sandbox check each other.

export interface AliexpressSandboxOptions {
  behaviour?: Partial<Behaviour>
  appKey?: string
  appSecret?: string
  /** the dropshipper session token the DS methods accept */
  accessToken?: string
}

const MAX_REMEMBERED_LISTINGS = 100_000
const EMPTY = { resp_code: 405, resp_msg: 'The result is empty' }
const SUCCEEDS = { resp_code: 200, resp_msg: 'Call succeeds' }

/** Listings seen in a search answer the same in productdetail.get, as on the live site. */
type Listings = Map<string, CatalogueProduct>

export async function createAliexpressSandbox(options: AliexpressSandboxOptions = {}): Promise<SandboxServer> {
  const appKey = options.appKey ?? SANDBOX_CREDENTIALS.aliexpress.appKey
  const appSecret = options.appSecret ?? SANDBOX_CREDENTIALS.aliexpress.appSecret
  const accessToken = options.accessToken ?? SANDBOX_CREDENTIALS.aliexpress.accessToken
  const listed: Listings = new Map()

  function answer(req: SandboxRequest): SandboxReply {
    const params = readParams(req)
    const refused = gatewayRefusal(params, appKey, appSecret)
    if (refused) return refused
    const method = params.get('method')
    if (method === 'aliexpress.affiliate.productdetail.get') return productDetail(params, listed)
    if (method === 'aliexpress.affiliate.product.query') return productQuery(params, listed)
    if (method === 'aliexpress.ds.product.get' || method === 'aliexpress.ds.freight.query') {
      const lookup = (id: string) => listed.get(id) ?? catalogueProduct(id)
      return sessionRefusal(params, accessToken) ?? (method === 'aliexpress.ds.product.get' ? dsProductGet(params, lookup) : dsFreightQuery(params, lookup))
    }
    return gatewayError('InvalidApiPath', 'The specified API path is invalid')
  }

  return startSandboxServer(
    'aliexpress',
    {
      operation: (req) => operationOf(readParams(req)),
      answer,
      fault: (mode, req, behaviour) => aliexpressFault(mode, behaviour, () => answer(req)),
    },
    { ...defaultBehaviour(DEFAULT_LATENCY_MS.aliexpress), ...options.behaviour },
    '/sync',
  )
}

function productDetail(params: Params, listed: Listings): SandboxReply {
  const method = params.get('method')!
  const ids = params.get('product_ids')
  if (!ids) return missing('product_ids')
  const products: CatalogueProduct[] = []
  for (const id of new Set(ids.split(',').map((s) => s.trim()))) {
    if (!/^\d+$/.test(id)) continue
    const product = listed.get(id) ?? catalogueProduct(id)
    if (product) products.push(product)
  }
  if (products.length === 0) return envelope(method, EMPTY)
  return envelope(method, { ...SUCCEEDS, result: { current_record_count: products.length, products: { product: wireRecords(products, params) } } })
}

function productQuery(params: Params, listed: Listings): SandboxReply {
  const method = params.get('method')!
  const keywords = params.get('keywords')
  if (!keywords && !params.get('category_ids')) return missing('keywords')
  const all = searchCatalogue(keywords ?? '')
  remember(listed, all)
  const sorted = sortListings(all, params.get('sort'))
  const pageSize = pageNumber(params.get('page_size'), 20, 1, 50)
  const pageNo = pageNumber(params.get('page_no'), 1, 1, 10_000)
  const page = sorted.slice((pageNo - 1) * pageSize, pageNo * pageSize)
  if (page.length === 0) return envelope(method, EMPTY)
  return envelope(method, {
    ...SUCCEEDS,
    result: {
      current_page_no: pageNo,
      current_record_count: page.length,
      total_page_no: Math.ceil(sorted.length / pageSize),
      total_record_count: sorted.length,
      products: { product: wireRecords(page, params) },
    },
  })
}

function remember(listed: Listings, products: readonly CatalogueProduct[]): void {
  for (const product of products) listed.set(product.productId, product)
  // Load runs search many terms; forgetting the oldest listings keeps memory bounded.
  for (const id of listed.keys()) {
    if (listed.size <= MAX_REMEMBERED_LISTINGS) break
    listed.delete(id)
  }
}

/** The products in the wire format, in the asked currency, with only the asked `fields` (and always product_id). */
function wireRecords(products: readonly CatalogueProduct[], params: Params): Record<string, unknown>[] {
  const ctx = { currency: params.get('target_currency'), trackingId: params.get('tracking_id'), country: params.get('country') ?? params.get('ship_to_country') }
  const fields = params.get('fields')
  const wanted = fields ? new Set([...fields.split(',').map((f) => f.trim()), 'product_id']) : undefined
  return products.map((product) => {
    const record = wireRecord(product, ctx)
    return wanted ? Object.fromEntries(Object.entries(record).filter(([name]) => wanted.has(name))) : record
  })
}

function pageNumber(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = value && /^\d+$/.test(value) ? Number(value) : fallback
  return Math.min(max, Math.max(min, n))
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
