import type { CatalogueProduct } from './catalogue.ts'
import { roundPrice } from './catalogue-prices.ts'
import { type Random, seeded } from './random.ts'

// How the simulated catalogue ships: a deterministic profile per product (drawn from its id) and
// delivery options per destination. Most products ship free or for a few dollars; about one in seven is
// bulky for its price and ships for several times what it sells for, as cheap bulky goods do.
//
//   free   45%  AliExpress Standard free, Cainiao economy free, an express option paid
//   paid   40%  Standard 0.99-4.99 USD, economy about 60% of it, express paid
//   heavy  15%  Standard 2.5-5x the sale price (at least 6 USD, at most 25), express 1.8x that

export type FreightProfile = 'free' | 'paid' | 'heavy'

export interface FreightOption {
  code: string
  company: string
  costUsd: number
  minDays: number
  maxDays: number
  tracking: boolean
}

/** Destinations the simulated sellers never ship to: the freight API answers DELIVERY_NOT_AVAILABLE_TO_YOUR_ADDRESS. */
export const UNSERVED_COUNTRIES: ReadonlySet<string> = new Set(['KP', 'IR', 'SY', 'CU'])

const EUROPE = new Set(['DE', 'FR', 'ES', 'IT', 'NL', 'BE', 'AT', 'PL', 'SE', 'GB', 'IE', 'PT', 'CZ', 'DK', 'FI'])

/** Standard shipping days to a destination, before the product's own handling offset. */
function standardDays(country: string): [number, number] {
  if (country === 'US' || country === 'CA') return [8, 15]
  if (EUROPE.has(country)) return [7, 12]
  if (country === 'BR' || country === 'MX' || country === 'CL') return [15, 35]
  if (country === 'AU' || country === 'NZ') return [10, 20]
  return [10, 25]
}

export function freightProfileOf(productId: string): FreightProfile {
  return draws(productId).profile
}

/** The product's delivery options to a country, cheapest first; empty for an unserved country. */
export function freightOptions(product: CatalogueProduct, country: string): FreightOption[] {
  if (UNSERVED_COUNTRIES.has(country)) return []
  const d = draws(product.productId)
  const [min, max] = standardDays(country)
  const standard: FreightOption = {
    code: 'CAINIAO_STANDARD',
    company: 'AliExpress Standard Shipping',
    costUsd: d.profile === 'free' ? 0 : d.profile === 'paid' ? d.paidFee : roundPrice(Math.min(25, Math.max(6, product.salePriceUsd * d.heavyMultiple))),
    minDays: min + d.handlingDays,
    maxDays: max + d.handlingDays,
    tracking: true,
  }
  const express: FreightOption = {
    code: 'CAINIAO_PREMIUM',
    company: 'AliExpress Premium Shipping',
    costUsd: roundPrice(Math.max(standard.costUsd * 1.8, d.expressFee)),
    minDays: Math.max(3, min - 3),
    maxDays: Math.max(6, max - 5),
    tracking: true,
  }
  const options = [standard, express]
  // Bulky parcels do not travel by the economy line.
  if (d.profile !== 'heavy') {
    options.push({
      code: 'CAINIAO_ECONOMY',
      company: 'Cainiao Super Economy Global',
      costUsd: roundPrice(standard.costUsd * 0.6),
      minDays: min + 7 + d.handlingDays,
      maxDays: max + 15 + d.handlingDays,
      tracking: false,
    })
  }
  return options.sort((a, b) => a.costUsd - b.costUsd || a.maxDays - b.maxDays)
}

/** What the affiliate API's `ship_to_days` says: the standard line's slow end, as free text. */
export function shipToDaysText(product: CatalogueProduct, country: string | undefined): string {
  if (!country) return '10'
  const standard = freightOptions(product, country).find((o) => o.code === 'CAINIAO_STANDARD')
  return standard ? String(standard.maxDays) : ''
}

// Drawn from a seed of its own, so the shipping data leaves every other value of the product as it was.
function draws(productId: string) {
  const rng: Random = seeded(`freight:${productId}`)
  const roll = rng.next()
  const profile: FreightProfile = roll < 0.45 ? 'free' : roll < 0.85 ? 'paid' : 'heavy'
  return {
    profile,
    paidFee: rng.int(99, 499) / 100,
    heavyMultiple: 2.5 + rng.next() * 2.5,
    expressFee: rng.int(800, 1800) / 100,
    handlingDays: rng.int(0, 3),
    /** how this product's freight record writes `shipping_fee_cent` (see aliexpress-ds.ts) */
    feeInCents: rng.next() < 0.5,
  }
}

export function feeWrittenInCents(productId: string): boolean {
  return draws(productId).feeInCents
}
