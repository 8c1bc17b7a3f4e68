import type { ListedKind } from './catalogue-product-types.ts'
import type { Random } from './random.ts'

/** How many of one currency a US dollar buys, for target_* prices; other currencies get USD. */
export const USD_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  CAD: 1.36,
  AUD: 1.52,
  BRL: 5.05,
  MXN: 17.1,
  JPY: 151.5,
  INR: 83.2,
  SEK: 10.6,
  PLN: 3.98,
  TRY: 32.4,
  KRW: 1352,
}

export function roundPrice(value: number): number {
  // Shop prices end in .x9 or similar; keep two decimals exactly.
  return Math.round(value * 100) / 100
}

export function priceIn(usd: number, currency: string): { amount: number; currency: string } {
  const rate = USD_RATES[currency.toUpperCase()]
  return rate === undefined ? { amount: usd, currency: 'USD' } : { amount: roundPrice(usd * rate), currency: currency.toUpperCase() }
}

/** A sale price within what the type usually sells for; half the weak products priced awkwardly. */
export function priceFor(rng: Random, kind: ListedKind, [min, max]: readonly [number, number]): number {
  if (kind === 'strong') return roundPrice(min + rng.next() * (max - min) * 0.6) // cheap-to-mid for its type
  if (kind === 'weak' && rng.next() < 0.5) {
    return rng.next() < 0.5 ? roundPrice(0.3 + rng.next() * 0.6) : roundPrice(max * (2.5 + rng.next() * 1.5))
  }
  return roundPrice(min + rng.next() * (max - min))
}
