import { createHash } from 'node:crypto'
import { type Random, seeded } from './random.ts'

// What the YouTube sandbox holds for a search: videos and channels, a pure function of the
// normalized query and region, so search.list, videos.list and expected() always agree.

export interface SimVideo {
  id: string
  channelId: string
  channelTitle: string
  title: string
  description: string
  /** always a whole number plus one half, so no day boundary ever falls on a video */
  ageDays: number
  /** undefined: the owner hides it and the API leaves the field out */
  views?: number
  likes?: number
  comments?: number
  /** deleted or made private after indexing: search still lists it, videos.list omits it */
  gone: boolean
  durationSeconds: number
}

export interface SimChannel {
  id: string
  title: string
}

export interface SimTerm {
  videos: SimVideo[]
  channels: SimChannel[]
}

type Trend = 'rising' | 'steady' | 'fading'

export const DAY_MS = 86_400_000
/** how long ago every simulated channel was created */
export const CHANNEL_AGE_DAYS = 900
const POOL_DAYS = 365
const REGISTRY_MAX = 200_000
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const TITLE_PATTERNS = [
  (t: string) => `${t} review - don't buy before watching!`,
  (t: string) => `I tried the viral ${t} so you don't have to`,
  (t: string) => `${t} | unboxing & first impressions`,
  (t: string) => `Is the "${t}" worth it? Honest test`,
  (t: string) => `TOP 5 ${t} on AliExpress (2025)`,
  (t: string) => `${t} - setup guide`,
]
const CHANNEL_NAMES = ['Gadget Lab', 'TechFinds', 'Unbox Daily', "Mia's Picks", 'Home Hacks TV', 'Review Guy', 'Deal Hunter', 'Smart Buys']

export function normalizeQuery(q: string): string {
  return q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim()
}

function youtubeId(seed: string, length: number): string {
  const bytes = createHash('sha256').update(seed).digest()
  let id = ''
  for (let i = 0; i < length; i++) id += ID_ALPHABET[bytes[i]! & 63]
  return id
}

export function simulate(q: string, regionCode: string): SimTerm {
  const seed = `youtube|${q}|${regionCode}`
  const rng = seeded(seed)
  // Some terms have no videos at all: a niche product nobody filmed.
  const size = q === '' || rng.next() < 0.12 ? 0 : rng.int(3, 80)
  const trend = rng.pick(['rising', 'steady', 'fading'] as const)
  const channels: SimChannel[] = Array.from({ length: rng.int(1, 3) }, (_v, i) => ({
    id: `UC${youtubeId(`${seed}|channel|${i}`, 22)}`,
    title: rng.pick(CHANNEL_NAMES),
  }))
  const videos: SimVideo[] = []
  for (let i = 0; i < size; i++) videos.push(simVideo(rng, `${seed}|video|${i}`, q, trend, channels))
  return { videos, channels }
}

function simVideo(rng: Random, idSeed: string, q: string, trend: Trend, channels: readonly SimChannel[]): SimVideo {
  const u = rng.next()
  // rising: uploads crowd into the last weeks; fading: most are months old.
  const age = trend === 'rising' ? POOL_DAYS * u ** 3 : trend === 'fading' ? POOL_DAYS * (1 - u ** 3) : POOL_DAYS * u
  const channel = rng.pick(channels)
  const title = pickTitle(rng, q)
  const video: SimVideo = {
    id: youtubeId(idSeed, 11),
    channelId: channel.id,
    channelTitle: channel.title,
    title,
    description: `${title}. In this video we look at ${q} in detail: what arrives in the box, how it performs after a week of daily use, and whether it is worth the money compared to the alternatives. Links below.`,
    ageDays: Math.min(POOL_DAYS - 1, Math.floor(age)) + 0.5,
    views: rng.next() < 0.03 ? undefined : Math.round(rng.logUniform(100, 5_000_000)),
    likes: undefined,
    comments: undefined,
    gone: rng.next() < 0.05,
    durationSeconds: rng.int(25, 1_800),
  }
  if (video.views !== undefined && rng.next() >= 0.15) video.likes = Math.round(video.views * rng.next() * 0.05)
  if (video.views !== undefined && rng.next() >= 0.1) video.comments = Math.round(video.views * rng.next() * 0.004)
  return video
}

function pickTitle(rng: Random, q: string): string {
  const term = q.replace(/\b\w/g, (c) => c.toUpperCase())
  return rng.pick(TITLE_PATTERNS)(term)
}

/**
 * Publication times hang off an anchor that moves a whole day at a time, so a video's publishedAt is
 * the same in search.list and videos.list and in expected(), yet a long-running sandbox stays current.
 */
export function dayAnchor(bornAt: number): () => number {
  return () => bornAt + Math.floor((Date.now() - bornAt) / DAY_MS) * DAY_MS
}

export function publishedMs(video: SimVideo, anchorMs: number): number {
  return anchorMs - Math.round(video.ageDays * DAY_MS)
}

export interface VideoRegistry {
  remember(videos: readonly SimVideo[]): void
  get(id: string): SimVideo | undefined
}

/** videos.list gets only ids, so the search that produced an id remembers its video here; the oldest are forgotten. */
export function videoRegistry(): VideoRegistry {
  const videos = new Map<string, SimVideo>()
  return {
    remember(found) {
      for (const video of found) {
        videos.delete(video.id)
        videos.set(video.id, video)
      }
      while (videos.size > REGISTRY_MAX) videos.delete(videos.keys().next().value!)
    },
    get: (id) => videos.get(id),
  }
}
