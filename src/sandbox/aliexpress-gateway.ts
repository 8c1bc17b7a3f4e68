import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Behaviour, FaultMode, SandboxReply, SandboxRequest } from './behaviour.ts'

// What the AliExpress /sync gateway does before any API runs: it reads the parameters, checks the
// app key, the timestamp and the signature (the algorithm:
// https://open.alitrip.com/docs/doc.htm?articleId=120692&docType=1&treeId=727), and wraps answers
// and errors in the platform's envelopes, always with HTTP 200.

const MAX_CLOCK_SKEW_MS = 7_200_000
const METHOD_PREFIX = 'aliexpress.affiliate.'

export type Params = Map<string, string>

export function readParams(req: SandboxRequest): Params {
  // The IOP SDK puts system parameters in the query and business ones in the body; accept both.
  const params: Params = new Map(req.url.searchParams)
  const type = String(req.headers['content-type'] ?? '')
  if (req.method === 'POST' && (type.includes('application/x-www-form-urlencoded') || type === '')) {
    for (const [name, value] of new URLSearchParams(req.body)) params.set(name, value)
  }
  return params
}

function reply(body: unknown): SandboxReply {
  return { status: 200, body: JSON.stringify(body) }
}

export function gatewayError(code: string | number, msg: string, extra: Record<string, string> = {}, type = 'ISV'): SandboxReply {
  return reply({
    error_response: {
      type,
      code,
      msg,
      ...extra,
      request_id: randomBytes(12).toString('hex').slice(0, 25),
      _trace_id_: randomBytes(15).toString('hex'),
    },
  })
}

export function envelope(method: string, respResult: Record<string, unknown>): SandboxReply {
  const key = `${method.replaceAll('.', '_')}_response`
  return reply({ [key]: { resp_result: respResult, request_id: randomBytes(12).toString('hex').slice(0, 25) } })
}

function signatureBase(params: Params): string {
  let base = ''
  const method = params.get('method') ?? ''
  if (method.includes('/')) base = method
  for (const name of [...params.keys()].sort()) {
    const value = params.get(name)!
    // The platform's TOP utility skips empty values; a client that signs them is rejected here.
    if (name !== 'sign' && value !== '') base += name + value
  }
  return base
}

function signatureMatches(params: Params, secret: string): boolean {
  const given = (params.get('sign') ?? '').toUpperCase()
  const base = signatureBase(params)
  const method = (params.get('sign_method') ?? '').toLowerCase()
  let expected: string
  if (method === 'sha256') expected = createHmac('sha256', secret).update(base, 'utf8').digest('hex')
  else if (method === 'md5') expected = createHash('md5').update(secret + base + secret, 'utf8').digest('hex')
  else return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected.toUpperCase())
  return a.length === b.length && timingSafeEqual(a, b)
}

function timestampMs(value: string): number {
  if (/^\d{13}$/.test(value)) return Number(value)
  // The legacy protocol's wall-clock timestamp (yyyy-MM-dd HH:mm:ss) is Beijing time, GMT+8.
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) return Date.parse(`${value.replace(' ', 'T')}+08:00`)
  return Date.parse(value)
}

export function operationOf(params: Params): string {
  const method = params.get('method')
  if (!method) return 'unknown'
  return method.startsWith(METHOD_PREFIX) ? method.slice(METHOD_PREFIX.length) : method
}

export function missing(name: string): SandboxReply {
  return gatewayError('MissingParameter', `The input parameter “${name}” that is mandatory for processing this request is not supplied.`)
}

/** The gateway's refusal of a call, in the order it checks: required parameters, key, clock, signature. */
export function gatewayRefusal(params: Params, appKey: string, appSecret: string): SandboxReply | undefined {
  if (!params.get('app_key')) return missing('app_key')
  if (!params.get('method')) return missing('method')
  if (!params.get('sign')) return missing('sign')
  if (params.get('app_key') !== appKey) return gatewayError('InvalidApiKey', 'Specified api key is invalid')
  const timestamp = timestampMs(params.get('timestamp') ?? '')
  if (Number.isNaN(timestamp) || Math.abs(Date.now() - timestamp) > MAX_CLOCK_SKEW_MS) {
    return gatewayError('InvalidTimestamp', 'The specified timestamp or date is invalid')
  }
  if (!signatureMatches(params, appSecret)) {
    return gatewayError('IncompleteSignature', 'The request signature does not conform to platform standards')
  }
  return undefined
}

/** The platform's own answer for an injected fault; `answer` gives the full reply a truncated one is cut from. */
export function aliexpressFault(mode: FaultMode, behaviour: Behaviour, answer: () => SandboxReply): SandboxReply | undefined {
  switch (mode) {
    case 'rate_limit':
    case 'quota':
      // AliExpress throttles in the body of an HTTP 200, not with a 429.
      return gatewayError(
        'ApiCallLimit',
        'App Call Limited',
        { sub_msg: `Api access frequency exceeds the limit. this ban will last ${behaviour.retryAfterSeconds} seconds` },
        'ISP',
      )
    case 'error':
      return gatewayError(
        15,
        'Remote service error',
        { sub_code: 'isp.remote-service-error', sub_msg: 'The remote service is temporarily unavailable, please try again later' },
        'ISP',
      )
    case 'truncated': {
      const full = answer().body
      return { status: 200, body: full.slice(0, Math.max(1, Math.floor(full.length * 0.6))) }
    }
    default:
      return undefined
  }
}
