import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

// The bytes and headers of one cached answer of the API, written for the baseline (loadtest/baseline.ts)
// so that bare Fastify can send the same response on the wire.

// Node writes content-length, date and the connection headers itself; the baseline sets its own request id.
const PER_RESPONSE = new Set(['content-length', 'date', 'connection', 'keep-alive', 'x-request-id'])

export async function writeReferenceAnswer(url: string, dir: string): Promise<{ bodyFile: string; headersFile: string }> {
  // identity: the body file must be the bytes the headers describe
  const answer = await fetch(url, { headers: { 'accept-encoding': 'identity' } })
  if (answer.headers.get('x-cache') !== 'HIT') throw new Error(`${url} is not a cached answer (x-cache: ${answer.headers.get('x-cache')})`)
  const bodyFile = join(dir, 'body.json')
  const headersFile = join(dir, 'headers.json')
  await writeFile(bodyFile, Buffer.from(await answer.arrayBuffer()))
  await writeFile(headersFile, JSON.stringify(Object.fromEntries([...answer.headers].filter(([name]) => !PER_RESPONSE.has(name)))))
  return { bodyFile, headersFile }
}
