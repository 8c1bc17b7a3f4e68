// The credentials the sandbox upstreams accept. The real clients sign and send them exactly as they
// would real ones, so a wrong signature or token is rejected by the sandbox as by the real API.
export const SANDBOX_CREDENTIALS = {
  aliexpress: { appKey: '500001', appSecret: 'sandbox-aliexpress-app-secret', trackingId: 'dropforge-sandbox', accessToken: 'sandbox-aliexpress-ds-session' },
  facebook: { accessToken: 'EAASandboxGraphAccessToken0000000000' },
  youtube: { apiKey: 'AIzaSandboxYoutubeApiKey000000000000000' },
} as const
