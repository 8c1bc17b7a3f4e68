import { createHash, timingSafeEqual } from 'node:crypto'

// Validation API keys. The configuration holds only their SHA-256 (API_KEYS), so a leaked environment
// or log does not leak a key; a key is random and long (npm run api-key:hash makes one), so a fast hash
// is enough: there is nothing to brute-force that a slow hash would protect.

/** Longer than any key we hand out; a longer header is refused before it is hashed. */
const MAX_KEY_LENGTH = 256

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/**
 * A check of a presented key against the configured hashes: the client id (`key:` and the first 16
 * hex digits of its hash, enough to tell keys apart and never enough to find one) or undefined. Every
 * configured hash is compared, each in constant time, so the time taken does not say which one matched.
 */
export function createApiKeyCheck(hashes: readonly string[]): (presented: string) => string | undefined {
  const digests = hashes.map((hex) => Buffer.from(hex, 'hex'))
  return (presented) => {
    if (presented.length === 0 || presented.length > MAX_KEY_LENGTH) return undefined
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    let match: Buffer | undefined
    for (const candidate of digests) {
      if (timingSafeEqual(candidate, digest)) match = candidate
    }
    return match ? `key:${match.toString('hex', 0, 8)}` : undefined
  }
}
