import type { FacebookAdStats } from '../validation/sources.ts'
import { DAY_MS, facebookDataset } from './facebook-dataset.ts'
import { medianOfSorted } from './median.ts'

export type ExpectedAdStats = FacebookAdStats & { emptySecondPage: boolean }

/** What a client that reads every page must report for these terms; computed apart from the client. */
export function expectedStats(terms: string, countries: readonly string[], now: Date): ExpectedAdStats {
  const { ads, emptySecondPage } = facebookDataset(terms, countries, now)
  const ages = ads.map((ad) => Math.max(0, Math.floor((now.getTime() - (ad.startMs ?? ad.createdMs)) / DAY_MS))).sort((a, b) => a - b)
  return {
    activeAds: ages.length,
    advertisers: new Set(ads.map((ad) => ad.pageId)).size,
    medianAdAgeDays: medianOfSorted(ages),
    longestRunningAdDays: ages.at(-1) ?? null,
    newAdsLast7Days: ages.filter((age) => age <= 6).length,
    truncated: false,
    emptySecondPage,
  }
}
