import { connect } from 'node:net'

// Requests no HTTP client library would send (broken syntax, smuggling attempts, oversized headers),
// written to a socket as bytes; the answer is read until the server closes or a timeout.

export interface RawAnswer {
  status: number
  body: string
}

export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(new Error('no answer in time')), timeoutMs)
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      // One answer is all we want; a keep-alive connection would otherwise stay open.
      if (complete(Buffer.concat(chunks).toString('latin1'))) socket.end()
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      // A reset after the answer arrived is the server closing a connection it will not read further.
      if (chunks.length > 0) resolve(parse(Buffer.concat(chunks).toString('utf8')))
      else reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parse(Buffer.concat(chunks).toString('utf8')))
    })
    socket.write(bytes)
  })
}

function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n')
  if (end < 0) return false
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1]
  return length !== undefined && Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(length)
}

function parse(text: string): RawAnswer {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)
  const end = text.indexOf('\r\n\r\n')
  return { status, body: end < 0 ? '' : text.slice(end + 4) }
}
