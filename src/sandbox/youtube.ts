import type { YoutubeStats } from '../validation/sources.ts'
import { type Behaviour, DEFAULT_LATENCY_MS, defaultBehaviour, type FaultMode, type SandboxReply, type SandboxRequest, type SandboxServer, startSandboxServer } from './behaviour.ts'
import { SANDBOX_CREDENTIALS } from './credentials.ts'
import { dayAnchor, normalizeQuery, simulate, videoRegistry } from './youtube-data.ts'
import { googleError, youtubeFault } from './youtube-errors.ts'
import { expectedYoutubeStats } from './youtube-expected.ts'
import { dailySearchQuota, searchList } from './youtube-search.ts'
import { videosList } from './youtube-videos.ts'

// A YouTube Data API v3 stand-in speaking the real wire format (https://developers.google.com/youtube/v3/docs):
// string statistics, HTML-escaped search titles, channel results mixed in unless type=video, ids
// omitted when unknown or deleted, videos.list in an order of its own, Google's error envelopes and
// the daily search bucket. The data is a pure function of the normalized query and region.
//
//   youtube-data.ts      the simulated videos and channels, the day anchor, the id registry
//   youtube-search.ts    search.list and its daily bucket
//   youtube-videos.ts    videos.list
//   youtube-wire.ts      the resources as Google serializes them
//   youtube-errors.ts    Google's error envelopes and fault answers
//   youtube-expected.ts  what a correct client computes from the data

/** What a correct client computes from this sandbox's data. */
export type ExpectedYoutubeStats = YoutubeStats

type Operation = 'search.list' | 'videos.list'
type OperationFault = Exclude<FaultMode, 'timeout'>

export interface YoutubeSandbox extends SandboxServer {
  /** what a correct client computes for these terms with `windowDays` and 50 results */
  expected(terms: string, regionCode: string, now: Date, windowDays?: number): ExpectedYoutubeStats
  /** forget today's search count, as midnight Pacific would */
  resetQuota(): void
  /** answer every valid call of one operation with this fault (undefined: back to normal) */
  setOperationFault(operation: Operation, mode: OperationFault | undefined): void
}

export interface YoutubeSandboxOptions {
  behaviour?: Partial<Behaviour>
  apiKey?: string
  searchDailyLimit?: number
}

function operationOf(req: SandboxRequest): Operation | 'unknown' {
  const path = req.url.pathname.replace(/\/$/, '')
  if (path.endsWith('/youtube/v3/search')) return 'search.list'
  if (path.endsWith('/youtube/v3/videos')) return 'videos.list'
  return 'unknown'
}

/** What Google refuses before looking at the operation: a wrong key, or no `part`. */
function refusal(req: SandboxRequest, apiKey: string): SandboxReply | undefined {
  if (req.url.searchParams.get('key') !== apiKey) {
    return googleError(400, 'keyInvalid', 'usageLimits', 'API key not valid. Please pass a valid API key.')
  }
  if (!req.url.searchParams.get('part')) {
    return googleError(400, 'missingRequiredParameter', 'youtube.parameter', 'No filter selected. Expected one of: part', {
      locationType: 'parameter',
      location: 'part',
    })
  }
  return undefined
}

export async function createYoutubeSandbox(options: YoutubeSandboxOptions = {}): Promise<YoutubeSandbox> {
  const apiKey = options.apiKey ?? SANDBOX_CREDENTIALS.youtube.apiKey
  const anchor = dayAnchor(Date.now())
  const search = { quota: dailySearchQuota(options.searchDailyLimit ?? 100), registry: videoRegistry(), anchor }
  // Faults aimed at one operation, e.g. videos.list failing after search.list succeeded.
  const operationFaults = new Map<Operation, OperationFault>()

  function answer(req: SandboxRequest): SandboxReply {
    const op = operationOf(req)
    if (op === 'unknown') return googleError(404, 'notFound', 'global', 'Not Found')
    if (req.method !== 'GET') return googleError(405, 'httpMethodNotAllowed', 'global', 'HTTP method not allowed')
    const refused = refusal(req, apiKey)
    if (refused) return refused
    const forced = operationFaults.get(op)
    if (forced) return youtubeFault(forced, server.behaviour)!
    const params = req.url.searchParams
    return op === 'search.list' ? searchList(params, search) : videosList(params, search.registry, anchor())
  }

  const server = await startSandboxServer(
    'youtube',
    { operation: operationOf, answer, fault: (mode, _req, behaviour) => youtubeFault(mode, behaviour) },
    { ...defaultBehaviour(DEFAULT_LATENCY_MS.youtube), ...options.behaviour },
    '/youtube/v3',
  )

  return Object.assign(server, {
    expected(terms: string, regionCode: string, now: Date, windowDays = 180): ExpectedYoutubeStats {
      return expectedYoutubeStats(simulate(normalizeQuery(terms), regionCode.toUpperCase()), anchor(), now, windowDays)
    },
    resetQuota: () => search.quota.reset(),
    setOperationFault(operation: Operation, mode: OperationFault | undefined) {
      if (mode) operationFaults.set(operation, mode)
      else operationFaults.delete(operation)
    },
  })
}
