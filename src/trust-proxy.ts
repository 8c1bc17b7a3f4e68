import { isIP } from 'node:net'

// TRUST_PROXY: the proxies whose X-Forwarded-For is believed, named by address. The client is then the
// first address from the right that is not one of them, so what a client writes in its own header stays
// to the left and is never read.

export const TRUST_PROXY_EXPECTED = 'false or a comma-separated list of proxy addresses/CIDRs such as 10.0.0.0/8,127.0.0.1'

/** The setting, or what it must be (a string) when the value is not one. */
export function parseTrustProxy(value: string): false | string[] | { problem: string } {
  if (value === 'false') return false
  // A hop count trusts whatever a client put at the left of X-Forwarded-For once the chain is shorter
  // than expected; Fastify >= 5.12.1 no longer honours one
  // (https://github.com/fastify/fastify/security/advisories/GHSA-3m5p-2c4r-xxw2).
  if (/^\d+$/.test(value)) return { problem: `${TRUST_PROXY_EXPECTED}; a number of proxy hops is no longer accepted: name the proxies` }
  const list = value.split(',').map((s) => s.trim())
  return list.every(isAddressOrCidr) ? list : { problem: TRUST_PROXY_EXPECTED }
}

function isAddressOrCidr(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
}
