// Credentials never leave in a log line, an error or a metric: every URL and message from an upstream
// call passes through here.

const SECRET_PARAMS = ['access_token', 'key', 'sign', 'app_secret', 'session', 'app_key', 'client_secret']

/** Replaces credential parameters and known secret values in a URL or any text. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(
    new RegExp(`([?&;]|%26|\\b)(${SECRET_PARAMS.join('|')})(=|%3D)[^&#\\s"']*`, 'gi'),
    (_m, pre: string, name: string, eq: string) => `${pre}${name}${eq}[REDACTED]`,
  )
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[REDACTED]')
  }
  return out
}
