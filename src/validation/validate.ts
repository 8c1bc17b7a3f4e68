import type { Loaded } from '../cache/cache.ts'
import { aliexpressFailure } from '../errors.ts'
import type { Market } from '../schemas/market.ts'
import type { Validation } from '../schemas/validation.ts'
import { assembleValidation, isDegraded } from './assemble.ts'
import type { LoadOptions, Outcome, ServiceContext, Timing } from './context.ts'
import { deriveKeywords, normalizeTerms } from './keywords.ts'
import { SCORING_VERSION } from './score.ts'
import type { Fetched, SourceCache } from './source-cache.ts'
import type { AliexpressProduct, ShippingQuote } from './sources.ts'

// One product: AliExpress first (its title gives the search terms), then Meta, YouTube and the freight
// API in parallel, each answer cached on its own key, the finished validation cached and persisted.

/** A validation asked for, normalized, with the cache key it lives under. */
export interface ValidationRequest {
  productId: string
  market: Market
  /** the caller's keywords, normalized; undefined means derived from the title */
  terms?: string
  key: string
}

export function validationRequest(sources: SourceCache, input: { productId: string; market: Market; keywords?: string }): ValidationRequest {
  const terms = input.keywords ? normalizeTerms(input.keywords) : undefined
  return { productId: input.productId, market: input.market, terms, key: sources.keys.validation(input.productId, input.market, terms) }
}

export async function validate(ctx: ServiceContext, req: ValidationRequest, opts?: LoadOptions): Promise<Outcome<Validation>> {
  const timings: Timing[] = []
  const lookup = await ctx.sources.answer(req.key, () => loadValidation(ctx, req, timings, opts), opts)
  if (lookup.status !== 'MISS') timings.push({ name: 'cache', desc: lookup.status.toLowerCase() })
  else if (timings.length === 0) timings.push({ name: 'cache', desc: 'coalesced' })
  return { value: lookup.value, status: lookup.status, entry: lookup.entry, timings }
}

async function loadValidation(ctx: ServiceContext, req: ValidationRequest, timings: Timing[], asked?: LoadOptions): Promise<Loaded<Validation>> {
  const archived = asked?.refresh ? undefined : await fromArchive(ctx, req)
  if (archived) {
    timings.push({ name: 'database', desc: 'hit' })
    return archived
  }
  // One deadline for the whole validation, not one per call: Meta and YouTube, which wait for
  // AliExpress's title, get what is left of it, and a source that cannot answer in time is left out.
  const opts = { ...asked, signal: AbortSignal.timeout(ctx.deadlineMs) }
  // The caller's keywords leave nothing to wait for: Meta and YouTube start with AliExpress, so a miss
  // costs the slowest source instead of AliExpress plus the slowest of the other two. If the product
  // then turns out not to exist, their answers stay cached under those terms.
  const attention = req.terms ? askAttention(ctx, req.terms, req.market, timings, opts) : undefined
  // Shipping needs only the id: asked alongside the product, not after it.
  const freight = ctx.sources.freight(req.productId, req.market, timings, opts)
  // Handled now, so that a failure while AliExpress is still out is not an unhandled rejection.
  attention?.catch(() => {})
  freight.catch(() => {})
  const { result, fetchedAt } = await ctx.sources.product(req.productId, req.market, timings, opts)
  if (result.status !== 'ok') throw aliexpressFailure(result)
  return complete(ctx, { product: result.data, fetchedAt, market: req.market, timings, terms: req.terms, attention, freight }, opts)
}

function askAttention(ctx: ServiceContext, terms: string, market: Market, timings: Timing[], opts?: LoadOptions) {
  return Promise.all([ctx.sources.adStats(terms, timings, opts), ctx.sources.videoStats(terms, market.country, timings, opts)])
}

export interface KnownProduct {
  product: AliexpressProduct
  fetchedAt: number
  market: Market
  timings: Timing[]
  /** the caller's terms, when they were given */
  terms?: string
  /** Meta and YouTube already asked with those terms */
  attention?: ReturnType<typeof askAttention>
  /** the freight API already asked */
  freight?: Promise<Fetched<ShippingQuote>>
}

/** Everything after the AliExpress product is known: terms, Meta, YouTube and shipping, score, persistence. */
export async function complete(ctx: ServiceContext, known: KnownProduct, opts?: LoadOptions): Promise<Loaded<Validation>> {
  const keywords = known.terms ?? deriveKeywords(known.product.title)
  const [[facebook, youtube], shipping] = await Promise.all([
    known.attention ?? askAttention(ctx, keywords, known.market, known.timings, opts),
    known.freight ?? ctx.sources.freight(known.product.productId, known.market, known.timings, opts),
  ])
  const ttlMs = ctx.sources.validationTtlMs(isDegraded({ facebook, youtube, shipping }))
  const validation = assembleValidation(
    { product: known.product, productFetchedAt: known.fetchedAt, keywords, facebook, youtube, shipping },
    { market: known.market, facebookCountries: ctx.sources.facebookCountries, weights: ctx.weights, sandbox: ctx.sandbox, at: ctx.now(), ttlMs },
  )
  ctx.sink?.enqueue(validation)
  return { value: validation, ttlMs }
}

/** The latest stored validation still within its TTL; never for caller keywords, which are not stored by key. */
export async function fromArchive(ctx: ServiceContext, req: Pick<ValidationRequest, 'productId' | 'market' | 'terms'>): Promise<Loaded<Validation> | undefined> {
  if (!ctx.archive || req.terms) return undefined
  try {
    const at = ctx.now()
    const stored = await ctx.archive.latestValidation(req.productId, req.market, at)
    const ttlMs = stored && stored.scoringVersion === SCORING_VERSION ? Date.parse(stored.expiresAt) - at.getTime() : 0
    if (ttlMs <= 1000) {
      ctx.counters.archiveMisses++
      return undefined
    }
    ctx.counters.archiveHits++
    return { value: stored!, ttlMs }
  } catch (error) {
    ctx.onArchiveError(error)
    return undefined
  }
}
