import type { FacebookAdStats, Market, SourceStatus, YoutubeStats } from './sources.ts'

// The public validation object (design section 3). camelCase, no upstream casing.

export type Verdict = 'strong' | 'promising' | 'risky' | 'avoid' | 'insufficient_data'
export type ComponentName = 'demand' | 'trend' | 'competition' | 'margin' | 'quality'

export interface SignalEnvelope<T> {
  status: SourceStatus
  fetchedAt: string
  data?: T
  /** why the source has no data, when it has none */
  reason?: string
}

export interface ProductSummary {
  title: string
  url: string
  imageUrl?: string
  category?: string
  price: { sale?: number; original?: number; currency?: string }
  ordersLast30Days?: number
  positiveFeedbackRate?: number
  shop: { id?: string; url?: string }
}

export interface AliexpressSignal {
  salePrice?: number
  originalPrice?: number
  currency?: string
  ordersLast30Days?: number
  positiveFeedbackRate?: number
  commissionRate?: number
}

export interface Reason {
  code: string
  effect: 'positive' | 'negative' | 'neutral'
  message: string
}

export interface Gate {
  code: string
  message: string
}

export interface Score {
  total: number | null
  components: Record<ComponentName, number | null>
}

/** What scoring concludes from the signals. */
export interface Assessment {
  score: Score
  verdict: Verdict
  confidence: number
  reasons: Reason[]
  gates: Gate[]
  scoringVersion: string
}

export interface Validation extends Assessment {
  productId: string
  market: Market
  product: ProductSummary
  keywords: string
  signals: {
    aliexpress: SignalEnvelope<AliexpressSignal>
    facebook: SignalEnvelope<FacebookAdStats>
    youtube: SignalEnvelope<YoutubeStats>
  }
  validatedAt: string
  expiresAt: string
  sandbox?: true
}
