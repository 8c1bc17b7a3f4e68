import Type from 'typebox'
import { EXAMPLES } from './examples.ts'

// The admin routes' answers.

export const InvalidatedSchema = Type.Object({
  productId: Type.String(),
  invalidated: Type.Integer({ description: 'cached answers dropped: validations in every market and keyword variant, the AliExpress entry, suppliers, and the Meta and YouTube answers its validations used' }),
})

export const ClearedSchema = Type.Object({ cleared: Type.Literal(true) })

const Layer = Type.Object({
  entries: Type.Optional(Type.Integer()),
  bytes: Type.Optional(Type.Integer()),
  connected: Type.Optional(Type.Boolean()),
})

const Budget = Type.Object({ name: Type.String(), used: Type.Number(), limit: Type.Number(), resetsAt: Type.Optional(Type.String()) })

export const SourceStatusSchema = Type.Object({
  circuit: Type.Enum(['closed', 'open', 'half_open']),
  retryAt: Type.Optional(Type.String()),
  pausedUntil: Type.Optional(Type.String()),
  budgets: Type.Array(Budget),
  lastCall: Type.Optional(
    Type.Object({ at: Type.String(), outcome: Type.Union([Type.Number(), Type.String()]), ok: Type.Boolean(), durationMs: Type.Number() }),
  ),
})

export const SourcesStatusSchema = Type.Object({ aliexpress: SourceStatusSchema, facebook: SourceStatusSchema, youtube: SourceStatusSchema })

export const WriteBehindSchema = Type.Object({
  depth: Type.Integer({ description: 'validations waiting to be written' }),
  written: Type.Integer(),
  failedFlushes: Type.Integer(),
  dropped: Type.Integer({ description: 'refused because the queue was full' }),
  rejected: Type.Integer({ description: 'refused by the database as invalid' }),
  lastFlushMs: Type.Number(),
  lastError: Type.Optional(Type.String()),
})

export const AdminStatsSchema = Type.Object({
  uptimeSeconds: Type.Integer(),
  cache: Type.Object({
    layers: Type.Object({
      local: Type.Optional(Layer),
      redis: Type.Optional(Layer),
      prepared: Layer,
    }),
    lookups: Type.Object({
      total: Type.Integer(),
      hits: Type.Integer(),
      stale: Type.Integer(),
      misses: Type.Integer(),
      hitRate: Type.Number(),
      staleRate: Type.Number(),
      missRate: Type.Number(),
    }),
    found: Type.Object({ local: Type.Integer(), store: Type.Integer(), database: Type.Integer() }, { description: 'answers found since start by the layer that held them' }),
    storeErrors: Type.Integer(),
  }),
  writeBehind: Type.Optional(WriteBehindSchema),
  sources: SourcesStatusSchema,
}, { examples: [EXAMPLES.adminStats] })
