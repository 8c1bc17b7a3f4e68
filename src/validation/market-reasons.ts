import type { Market } from '../schemas/market.ts'
import type { Reason } from '../schemas/validation.ts'
import type { FacebookAdStats, SourceResult } from './sources.ts'

// Which market each signal was measured in, said out loud. Meta's Ad Library lists commercial ads only
// where they reached the EU or UK (https://www.facebook.com/ads/library/api/), so ad counts are taken in
// FACEBOOK_AD_COUNTRIES whatever market the user asked about; AliExpress and YouTube are asked for the
// market itself. Pure.

export function marketReasons(market: Market, facebookCountries: readonly string[], facebook: SourceResult<FacebookAdStats>): Reason[] {
  // Without ad data there is nothing measured elsewhere to warn about; SOURCE_* says what is missing.
  if (facebook.status !== 'ok' || facebookCountries.length === 0) return []
  const where = listOf(facebookCountries)
  if (!facebookCountries.includes(market.country)) {
    return [
      {
        code: 'AD_DATA_FROM_OTHER_MARKETS',
        effect: 'neutral',
        message:
          `Facebook ad counts come from ${where}, not ${market.country}: Meta's Ad Library lists commercial ads only where they ` +
          `reached the EU or UK, so competition and ad longevity in ${market.country} may differ`,
      },
    ]
  }
  if (facebookCountries.length > 1) {
    return [{ code: 'AD_DATA_INCLUDES_OTHER_MARKETS', effect: 'neutral', message: `Facebook ad counts cover ${where} together, not ${market.country} alone` }]
  }
  return []
}

function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}
