import type { Cache } from '../cache/cache.ts'
import type { ScoringWeights } from '../config.ts'
import type { Market } from '../schemas/market.ts'
import type { SearchAnswer, SearchSort, SuppliersAnswer } from '../schemas/products.ts'
import type { Validation } from '../schemas/validation.ts'
import { type BatchAnswer, type BatchItem, type BatchItemResult, validateBatch } from './batch.ts'
import type { LoadOptions, Outcome, ServiceContext, ValidationArchive, ValidationSink } from './context.ts'
import { type SearchRequest, searchProducts, searchRequest } from './search.ts'
import { createSourceCache } from './source-cache.ts'
import type { AliexpressSource, FacebookSource, YoutubeQuotaState, YoutubeSource } from './sources.ts'
import { type SuppliersRequest, suppliers, suppliersRequest } from './suppliers.ts'
import { type ValidationRequest, validate, validationRequest } from './validate.ts'

// The service as the routes see it: each request is first normalized into a value that carries its
// cache key (so a route can look for prepared bytes before calling anything), then answered.

export interface ServiceOptions {
  aliexpress: AliexpressSource
  facebook: FacebookSource
  youtube: YoutubeSource
  cache: Cache
  archive?: ValidationArchive
  sink?: ValidationSink
  weights: ScoringWeights
  ttl: { validationMs: number; searchMs: number; suppliersMs: number }
  facebookCountries: readonly string[]
  sandbox: boolean
  /** one validation's deadline for all its upstream calls together (UPSTREAM_TIMEOUT_MS) */
  deadlineMs: number
  now?: () => Date
  onArchiveError?: (error: unknown) => void
}

export interface ValidationService {
  validationRequest(input: { productId: string; market: Market; keywords?: string }): ValidationRequest
  validate(req: ValidationRequest, opts?: LoadOptions): Promise<Outcome<Validation>>
  validateBatch(items: readonly BatchItem[], market: Market, onResult?: (index: number, result: BatchItemResult) => void): Promise<BatchAnswer>
  searchRequest(input: { q: string; page: number; pageSize: number; sort?: SearchSort; market: Market }): SearchRequest
  search(req: SearchRequest, opts?: LoadOptions): Promise<Outcome<SearchAnswer>>
  suppliersRequest(input: { productId: string; market: Market }): SuppliersRequest
  suppliers(req: SuppliersRequest, opts?: LoadOptions): Promise<Outcome<SuppliersAnswer>>
  youtubeQuota(): Promise<YoutubeQuotaState>
  /** see SourceCache.productKeys */
  productKeys(productId: string, keysWithPrefix: (prefix: string) => Promise<string[]>): Promise<string[]>
  counters(): ServiceContext['counters']
}

export function createValidationService(options: ServiceOptions): ValidationService {
  const now = options.now ?? (() => new Date())
  const ctx: ServiceContext = {
    sources: createSourceCache({ ...options, now }),
    archive: options.archive,
    sink: options.sink,
    weights: options.weights,
    sandbox: options.sandbox,
    deadlineMs: options.deadlineMs,
    now,
    onArchiveError: options.onArchiveError ?? (() => {}),
    counters: { archiveHits: 0, archiveMisses: 0 },
  }
  return {
    validationRequest: (input) => validationRequest(ctx.sources, input),
    validate: (req, opts) => validate(ctx, req, opts),
    validateBatch: (items, market, onResult) => validateBatch(ctx, items, market, onResult),
    searchRequest: (input) => searchRequest(ctx, input),
    search: (req, opts) => searchProducts(ctx, req, opts),
    suppliersRequest: (input) => suppliersRequest(ctx, input),
    suppliers: (req, opts) => suppliers(ctx, req, opts),
    youtubeQuota: () => ctx.sources.youtubeQuota(),
    productKeys: (productId, keysWithPrefix) => ctx.sources.productKeys(productId, keysWithPrefix),
    counters: () => ({ ...ctx.counters }),
  }
}
