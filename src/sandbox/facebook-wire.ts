import type { SandboxAd } from './facebook-dataset.ts'

// Ads and pages of ads as ads_archive returns them: date-only times for most ads (a datetime with
// +0000 for some), only the fields asked for, and opaque cursors. Graph cannot tell a full last page
// from a middle one, and some searches answer their second page empty yet with a `next`.

export interface Cursor {
  offset: number
  emptyServed: boolean
}

export interface AdPage {
  ads: SandboxAd[]
  cursors: { before: string; after: string }
  /** the cursor of the next page, when Graph offers one */
  next?: string
}

const MAX_LIMIT = 1000

export function encodeCursor(offset: number, emptyServed: boolean): string {
  return Buffer.from(`${offset}:${emptyServed ? 1 : 0}`).toString('base64')
}

export function decodeCursor(cursor: string): Cursor | undefined {
  const m = /^(\d+):([01])$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))
  return m ? { offset: Number(m[1]), emptyServed: m[2] === '1' } : undefined
}

export function pageOf(ads: readonly SandboxAd[], emptySecondPage: boolean, cursor: Cursor, limit: number): AdPage {
  if (emptySecondPage && cursor.offset > 0 && !cursor.emptyServed) {
    const served = encodeCursor(cursor.offset, true)
    return { ads: [], cursors: { before: served, after: served }, next: served }
  }
  const pageSize = Math.min(limit, MAX_LIMIT)
  const slice = ads.slice(cursor.offset, cursor.offset + pageSize)
  const end = cursor.offset + slice.length
  // Graph cannot tell a full last page from a middle one: it offers `next`, which then comes back empty.
  const next = end < ads.length || (slice.length === pageSize && slice.length > 0) ? encodeCursor(end, cursor.emptyServed) : undefined
  return { ads: slice, cursors: { before: encodeCursor(cursor.offset, cursor.emptyServed), after: next ?? encodeCursor(end, cursor.emptyServed) }, next }
}

function graphDate(ms: number, iso: boolean): string {
  const text = new Date(ms).toISOString()
  return iso ? `${text.slice(0, 19)}+0000` : text.slice(0, 10)
}

/** One ad with the fields asked for (always its id); fields it has no value for are left out. */
export function adRecord(ad: SandboxAd, fields: ReadonlySet<string>, token: string): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: ad.id,
    ad_creation_time: graphDate(ad.createdMs, ad.isoDates),
    ad_delivery_start_time: ad.startMs === undefined ? undefined : graphDate(ad.startMs, ad.isoDates),
    ad_creative_bodies: [ad.body],
    ad_snapshot_url: `https://www.facebook.com/ads/archive/render_ad/?id=${ad.id}&access_token=${token}`,
    languages: [ad.language],
    page_id: ad.pageId,
    page_name: ad.pageName,
    publisher_platforms: ad.platforms,
  }
  const out: Record<string, unknown> = { id: ad.id }
  for (const field of fields) if (all[field] !== undefined) out[field] = all[field]
  return out
}
