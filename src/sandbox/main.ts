import { sandboxOptionsFromEnv, startSandbox } from './index.ts'

// `npm run sandbox`: the three simulated upstreams alone, for poking at with curl or pointing a
// second instance at.
const sandbox = await startSandbox(sandboxOptionsFromEnv(process.env))
console.log(`AliExpress  ALIEXPRESS_API_URL=${sandbox.aliexpress.url}`)
console.log(`Meta        FACEBOOK_GRAPH_URL=${sandbox.facebook.url}`)
console.log(`YouTube     YOUTUBE_API_URL=${sandbox.youtube.url}`)
console.log('Start the API with SANDBOX=true and these three variables to use it. Ctrl-C to stop.')
const stop = async () => {
  await sandbox.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
