import type { YoutubeStats } from '../validation/sources.ts'
import { medianOfSorted } from './median.ts'
import { DAY_MS, publishedMs, type SimTerm } from './youtube-data.ts'

/**
 * What a correct client computes from one search of up to 50 results published in the window, then
 * videos.list of their ids; worked out from the simulated data, apart from the client's code.
 */
export function expectedYoutubeStats(sim: SimTerm, anchorMs: number, now: Date, windowDays: number): YoutubeStats {
  const after = now.getTime() - windowDays * DAY_MS
  const recentFrom = now.getTime() - 30 * DAY_MS
  const listed = sim.videos.filter((v) => publishedMs(v, anchorMs) >= after).slice(0, 50)
  const known = listed.filter((v) => !v.gone && v.views !== undefined)
  const viewList = known.map((v) => v.views!).sort((a, b) => a - b)
  const recent = listed.filter((v) => publishedMs(v, anchorMs) >= recentFrom)
  return {
    videos: listed.length,
    totalViews: viewList.reduce((a, b) => a + b, 0),
    medianViews: medianOfSorted(viewList),
    topVideoViews: viewList.length > 0 ? Math.max(...viewList) : null,
    videosLast30Days: recent.length,
    viewsLast30Days: recent.filter((v) => !v.gone && v.views !== undefined).reduce((sum, v) => sum + v.views!, 0),
  }
}
