import { createHash } from 'node:crypto'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { LRUCache } from 'lru-cache'
import type { EntryTimes } from '../cache/cache.ts'

// A cached answer kept as the exact bytes we send: serialized, hashed and compressed once when it
// enters the cache, so serving it costs a map lookup and a socket write.

export interface PreparedBody extends EntryTimes {
  identity: Buffer
  gzip: Buffer
  br: Buffer
  /** strong ETags, one per encoding (RFC 9110: a representation's bytes differ per encoding) */
  etags: { identity: string; gzip: string; br: string }
  lastModified: string
}

export type Encoding = 'identity' | 'gzip' | 'br'

/**
 * A copy in memory of its own. Small buffers from Buffer.from() share an 8 KiB pool slab, and zlib's
 * sync output is a slice of a 16 KiB+ chunk: a cache of slices would hold many times its counted size.
 */
function exact(source: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(source.length)
  source.copy(copy)
  return copy
}

/** The bytes of one cache entry's answer; its times identify the entry (`storedAt`) and bound its use. */
export function prepareBody(json: string, times: EntryTimes): PreparedBody {
  const identity = exact(Buffer.from(json))
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 27)
  return {
    identity,
    // Mid-level settings: these run once per entry, and the ratio gain of the maximum levels is small on 2 KB of JSON.
    gzip: exact(gzipSync(identity, { level: 6 })),
    br: exact(brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length } })),
    etags: { identity: `"${hash}"`, gzip: `"${hash}-gz"`, br: `"${hash}-br"` },
    lastModified: new Date(times.storedAt).toUTCString(),
    storedAt: times.storedAt,
    freshUntil: times.freshUntil,
    staleUntil: times.staleUntil,
  }
}

/** Picks the encoding from an Accept-Encoding header; brotli first, q=0 respected. */
export function negotiateEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity'
  let br = false
  let gzip = false
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';')
    const q = params.find((p) => p.trim().startsWith('q='))
    if (q && Number(q.trim().slice(2)) === 0) continue
    if (name === 'br') br = true
    else if (name === 'gzip') gzip = true
    else if (name === '*') br = gzip = true
  }
  return br ? 'br' : gzip ? 'gzip' : 'identity'
}

/** true when If-None-Match names any representation of this body (or is *) */
export function matchesEtag(header: string | undefined, body: PreparedBody): boolean {
  if (!header) return false
  if (header.trim() === '*') return true
  const { identity, gzip, br } = body.etags
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '')
    return t === identity || t === gzip || t === br
  })
}

export function createPreparedCache(maxBytes: number) {
  return new LRUCache<string, PreparedBody>({
    maxSize: maxBytes,
    sizeCalculation: (b, key) => b.identity.length + b.gzip.length + b.br.length + key.length * 2 + 400,
  })
}
export type PreparedCache = ReturnType<typeof createPreparedCache>
