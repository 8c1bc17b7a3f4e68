import Type from 'typebox'
import { EXAMPLES } from './examples.ts'

// The probes' answers. Readiness reports every dependency it knows of; a dependency added to the
// probe before this schema names it is still sent (additionalProperties), not silently dropped by
// the serializer.

export const LiveSchema = Type.Object({ status: Type.Literal('ok') }, { examples: [EXAMPLES.health] })

const Probe = {
  state: Type.Enum(['up', 'down']),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String({ description: 'why the probe failed' })),
}

export const ReadinessSchema = Type.Object(
  {
  status: Type.Enum(['ready', 'degraded', 'draining'], { description: 'draining (503) only while the process shuts down' }),
  sandbox: Type.Boolean({ description: 'true when the upstreams are the sandbox servers' }),
  dependencies: Type.Object(
    {
      cache: Type.Object({ kind: Type.Enum(['memory', 'redis']), ...Probe }),
      database: Type.Object({
        kind: Type.Enum(['off', 'pglite', 'postgres', 'supabase']),
        state: Type.Enum(['up', 'down', 'off']),
        latencyMs: Type.Optional(Type.Number()),
        error: Type.Optional(Type.String()),
        queueDepth: Type.Optional(Type.Integer({ description: 'validations waiting to be written' })),
        failedFlushes: Type.Optional(Type.Integer()),
      }),
      youtube: Type.Object({
        quota: Type.Object({
          searchesLeft: Type.Number(),
          unitsLeft: Type.Number(),
          resetsAt: Type.String({ description: 'the next reset, midnight Pacific time' }),
        }),
      }),
    },
    { additionalProperties: true },
  ),
  },
  { examples: [EXAMPLES.healthReady] },
)
