import type { SandboxReply } from './behaviour.ts'
import { seeded } from './random.ts'
import type { SimVideo, VideoRegistry } from './youtube-data.ts'
import { googleError } from './youtube-errors.ts'
import { etag, VIDEO_PARTS, videoResource } from './youtube-wire.ts'

// videos.list by id (https://developers.google.com/youtube/v3/docs/videos/list): ids a search never
// produced, and deleted or private videos, are left out without an error; the order is the API's own.

export function videosList(params: URLSearchParams, registry: VideoRegistry, anchorMs: number): SandboxReply {
  const parts = new Set((params.get('part') ?? '').split(',').map((p) => p.trim()))
  for (const part of parts) {
    if (!VIDEO_PARTS.includes(part)) return googleError(400, 'unknownPart', 'youtube.part', `'${part}'`, { locationType: 'parameter', location: 'part' })
  }
  const idParam = params.get('id')
  if (!idParam) {
    return googleError(400, 'missingRequiredParameter', 'youtube.parameter', 'No filter selected. Expected one of: chart, id, myRated')
  }
  if (params.has('maxResults')) {
    return googleError(400, 'incompatibleParameters', 'youtube.parameter', 'The request specifies an incompatible filter and maxResults.')
  }
  const ids = [...new Set(idParam.split(',').filter((id) => id !== ''))]
  if (ids.length > 50) return googleError(400, 'invalidParameter', 'youtube.parameter', 'The id parameter accepts at most 50 ids.')
  const items = listingOrder(ids, registry).map((video) => videoResource(video, parts, anchorMs))
  const body = {
    kind: 'youtube#videoListResponse',
    etag: etag(`videos|${ids.join(',')}`),
    items,
    pageInfo: { totalResults: items.length, resultsPerPage: items.length },
  }
  return { status: 200, body: JSON.stringify(body, null, 2) }
}

/** The live videos among these ids, shuffled deterministically and never in request order. */
function listingOrder(ids: readonly string[], registry: VideoRegistry): SimVideo[] {
  const live = (id: string) => {
    const video = registry.get(id)
    return video && !video.gone ? video : undefined
  }
  const found = ids.map(live).filter((v): v is SimVideo => v !== undefined)
  const rng = seeded(`order|${ids.join(',')}`)
  for (let i = found.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[found[i], found[j]] = [found[j]!, found[i]!]
  }
  // The real API does not promise request order; make sure a client that assumes it is caught.
  const requestOrder = ids.filter((id) => live(id) !== undefined)
  if (found.length > 1 && found.every((v, i) => v.id === requestOrder[i])) found.reverse()
  return found
}
