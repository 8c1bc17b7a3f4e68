import { createHmac } from 'node:crypto'

// AliExpress Open Platform request signing, sha256 variant
// (https://open.alitrip.com/docs/doc.htm?articleId=120692&docType=1&treeId=727). The gateway
// rebuilds the same string from what it received, so every parameter sent must be signed and
// vice versa: empty values are dropped before both, as the platform's own TOP utility skips them.

export type ParamValue = string | number | boolean | undefined | null

/** Removes undefined, null and empty-string values and turns the rest into strings. */
export function cleanParams(params: Readonly<Record<string, ParamValue>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue
    const text = String(value)
    if (text !== '') out[name] = text
  }
  return out
}

/**
 * Upper-case hex HMAC-SHA256 of the sorted name+value pairs (everything but `sign`). The API path is
 * prepended only for system APIs whose name contains `/`; dotted business names on /sync get nothing.
 */
export function signParams(params: Readonly<Record<string, ParamValue>>, secret: string, apiName?: string): string {
  const clean = cleanParams(params)
  // Plain code-unit order, not localeCompare: the gateway sorts raw ASCII names.
  const names = Object.keys(clean)
    .filter((name) => name !== 'sign')
    .sort()
  let text = apiName?.includes('/') ? apiName : ''
  for (const name of names) text += name + clean[name]
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex').toUpperCase()
}

export interface SignedCall {
  method: string
  appKey: string
  appSecret: string
  params: Readonly<Record<string, ParamValue>>
  /** epoch milliseconds */
  now: number
}

/** The complete form for one /sync call: system parameters, business parameters and the signature. */
export function buildSignedParams(call: SignedCall): Record<string, string> {
  const form = cleanParams({
    ...call.params,
    app_key: call.appKey,
    method: call.method,
    // Epoch ms, which the platform accepts within 7,200 s of UTC, sidesteps the legacy protocol's
    // GMT+8 wall-clock format (https://developer.alibaba.com/docs/doc.htm?articleId=120691&docType=1&treeId=727).
    timestamp: String(Math.trunc(call.now)),
    sign_method: 'sha256',
    format: 'json',
  })
  form['sign'] = signParams(form, call.appSecret, call.method)
  return form
}
