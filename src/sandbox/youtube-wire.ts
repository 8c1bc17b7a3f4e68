import { createHash } from 'node:crypto'
import { CHANNEL_AGE_DAYS, DAY_MS, publishedMs, type SimChannel, type SimVideo } from './youtube-data.ts'

// The YouTube Data API v3 resources as Google serializes them
// (https://developers.google.com/youtube/v3/docs/search#resource,
// https://developers.google.com/youtube/v3/docs/videos#resource): statistics as strings, search
// titles HTML-escaped, RFC 3339 times without fractions, ISO 8601 durations.

export type SearchResult = { video: SimVideo } | { channel: SimChannel }

export const VIDEO_PARTS = ['id', 'snippet', 'statistics', 'contentDetails']

export function etag(seed: string): string {
  return createHash('sha1').update(seed).digest('base64url').slice(0, 27)
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function thumbnails(id: string) {
  return {
    default: { url: `https://i.ytimg.com/vi/${id}/default.jpg`, width: 120, height: 90 },
    medium: { url: `https://i.ytimg.com/vi/${id}/mqdefault.jpg`, width: 320, height: 180 },
    high: { url: `https://i.ytimg.com/vi/${id}/hqdefault.jpg`, width: 480, height: 360 },
  }
}

function isoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`
}

export function pageToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url')
}

export function readPageToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'))
  return match ? Number(match[1]) : undefined
}

/** What a search result shows of a video or a channel, before escaping. */
interface Listing {
  id: string
  resourceId: { kind: string; videoId?: string; channelId?: string }
  publishedMs: number
  channelId: string
  title: string
  /** already in wire form */
  description: string
  channelTitle: string
}

function listingOf(result: SearchResult, anchorMs: number): Listing {
  if ('channel' in result) {
    const { channel } = result
    return {
      id: channel.id,
      resourceId: { kind: 'youtube#channel', channelId: channel.id },
      publishedMs: anchorMs - CHANNEL_AGE_DAYS * DAY_MS,
      channelId: channel.id,
      title: channel.title,
      description: `Honest reviews of the gadgets everyone is buying. New videos every week.`,
      channelTitle: channel.title,
    }
  }
  const { video } = result
  return {
    id: video.id,
    resourceId: { kind: 'youtube#video', videoId: video.id },
    publishedMs: publishedMs(video, anchorMs),
    channelId: video.channelId,
    title: video.title,
    description: `${escapeHtml(video.description.slice(0, 150))} ...`,
    channelTitle: video.channelTitle,
  }
}

/** A search result; its titles are HTML-escaped, unlike the same video's in videos.list. */
export function searchResultItem(result: SearchResult, anchorMs: number) {
  const listing = listingOf(result, anchorMs)
  const published = rfc3339(listing.publishedMs)
  return {
    kind: 'youtube#searchResult',
    etag: etag(`search|${listing.id}`),
    id: listing.resourceId,
    snippet: {
      publishedAt: published,
      channelId: listing.channelId,
      title: escapeHtml(listing.title),
      description: listing.description,
      thumbnails: thumbnails(listing.id),
      channelTitle: escapeHtml(listing.channelTitle),
      liveBroadcastContent: 'none',
      publishTime: published,
    },
  }
}

/** A video resource with only the parts asked for, as videos.list returns it. */
export function videoResource(video: SimVideo, parts: ReadonlySet<string>, anchorMs: number): Record<string, unknown> {
  const item: Record<string, unknown> = { kind: 'youtube#video', etag: etag(`video|${video.id}`), id: video.id }
  if (parts.has('snippet')) item.snippet = videoSnippet(video, anchorMs)
  if (parts.has('contentDetails')) item.contentDetails = contentDetails(video)
  if (parts.has('statistics')) item.statistics = statistics(video)
  return item
}

function videoSnippet(video: SimVideo, anchorMs: number) {
  return {
    publishedAt: rfc3339(publishedMs(video, anchorMs)),
    channelId: video.channelId,
    title: video.title,
    description: video.description,
    thumbnails: thumbnails(video.id),
    channelTitle: video.channelTitle,
    categoryId: '26',
    liveBroadcastContent: 'none',
    localized: { title: video.title, description: video.description },
  }
}

function contentDetails(video: SimVideo) {
  return {
    duration: isoDuration(video.durationSeconds),
    dimension: '2d',
    definition: 'hd',
    caption: 'false',
    licensedContent: false,
    contentRating: {},
    projection: 'rectangular',
  }
}

/** Hidden counts are left out, not zero: the owner can hide likes, views or comments. */
function statistics(video: SimVideo): Record<string, string> {
  const statistics: Record<string, string> = {}
  if (video.views !== undefined) statistics.viewCount = String(video.views)
  if (video.likes !== undefined) statistics.likeCount = String(video.likes)
  statistics.favoriteCount = '0'
  if (video.comments !== undefined) statistics.commentCount = String(video.comments)
  return statistics
}
