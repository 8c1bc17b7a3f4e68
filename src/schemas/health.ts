import Type from 'typebox'
import { SourcesStatusSchema, WriteBehindSchema } from './admin.ts'
import { EXAMPLES } from './examples.ts'

// The health routes' answers.

export const LiveSchema = Type.Object({ status: Type.Literal('ok') })

const State = Type.Enum(['up', 'down'])

export const ReadySchema = Type.Object({
  status: Type.Enum(['ready', 'starting', 'draining', 'unavailable'], { description: 'ready answers 200, anything else 503' }),
  sandbox: Type.Boolean(),
  dependencies: Type.Object({
    cache: Type.Object({ kind: Type.Enum(['memory', 'redis']), state: State }, { description: 'the cache store, its connection state as its client sees it' }),
    redis: Type.Optional(Type.Object({ state: State }, { description: 'the command connection: rate limits, quotas, the invalidation channel' })),
    database: Type.Object({
      kind: Type.Enum(['supabase', 'postgres', 'pglite', 'off']),
      state: Type.Enum(['up', 'down', 'off']),
      latencyMs: Type.Optional(Type.Number()),
      error: Type.Optional(Type.String()),
    }),
    writeBehind: Type.Optional(WriteBehindSchema),
  }),
  upstreams: SourcesStatusSchema,
}, { examples: [EXAMPLES.healthReady] })

export const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Type.String(),
  scoringVersion: Type.String(),
  node: Type.String(),
  sandbox: Type.Boolean(),
  uptimeSeconds: Type.Integer(),
  requests: Type.Object(
    { perSecond: Type.Number(), errorsPerSecond: Type.Number(), errorRate: Type.Number() },
    { description: 'over the last minute; errors are 5xx answers' },
  ),
  cache: Type.Object({ lookups: Type.Integer(), hitRate: Type.Number({ description: 'fresh and stale answers served from the cache' }) }),
  memoryMb: Type.Object({ rss: Type.Integer(), heapUsed: Type.Integer(), heapTotal: Type.Integer(), external: Type.Integer() }),
}, { examples: [EXAMPLES.health] })
