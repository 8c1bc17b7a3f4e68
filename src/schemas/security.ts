// The ways a caller proves who it is, as OpenAPI security schemes. Only the admin key is enforced
// today (/metrics and /api/v1/admin/...); the API key and the Supabase token are declared so that
// the validation routes can name them once AUTH_REQUIRED=true enforces them.

export const SECURITY_SCHEMES = {
  adminKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-admin-key',
    description: 'The operator key (ADMIN_API_KEY): /metrics and /api/v1/admin/...',
  },
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'A client API key, for the validation routes when AUTH_REQUIRED=true',
  },
  supabaseBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Supabase Auth access token (Authorization: Bearer ...), for the validation routes when AUTH_REQUIRED=true',
  },
} as const

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES

/** An operation's `security`: any one of the listed schemes is enough. */
export function anyOf(...names: SecuritySchemeName[]): { [name: string]: string[] }[] {
  return names.map((name) => ({ [name]: [] }))
}

/** Where the admin key is required: every route documented under these is given the adminKey scheme. */
export const ADMIN_PATHS = ['/metrics', '/api/v1/admin/'] as const
