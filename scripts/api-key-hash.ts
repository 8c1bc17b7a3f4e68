// npm run api-key:hash: a new validation API key and the SHA-256 to put in API_KEYS (only the hash goes
// in the configuration). To hash a key you already have, pipe it in, which keeps it out of the shell's
// history: `printf %s "$KEY" | npm run -s api-key:hash`.
import { randomBytes } from 'node:crypto'
import { text } from 'node:stream/consumers'
import { hashApiKey } from '../src/auth/api-keys.ts'

const given = process.stdin.isTTY ? '' : (await text(process.stdin)).replace(/\r?\n$/, '')
if (given) {
  console.log(hashApiKey(given))
} else {
  // 32 random bytes: nothing to guess, so the fast hash in API_KEYS is safe to publish by mistake.
  const key = `dfk_${randomBytes(32).toString('base64url')}`
  console.log(`key:  ${key}\nhash: ${hashApiKey(key)}\n\nGive the key to the client (it is shown once); add the hash to API_KEYS, comma-separated.`)
}
