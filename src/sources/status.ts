import type { SourceState, StatefulSource } from '../validation/sources.ts'
import type { CallEvent, SourceName } from './http.ts'

// How each upstream stands, for readiness, stats and metrics: its own state (circuit, pause, budgets)
// and the outcome of its last call.

export interface LastCall {
  at: string
  /** the HTTP status of the last attempt, or the error code when there was none */
  outcome: number | string
  ok: boolean
  durationMs: number
}

export type SourceStatus = SourceState & { lastCall?: LastCall }

export interface SourceStatusBoard {
  record(event: CallEvent): void
  read(now: Date): Promise<Record<SourceName, SourceStatus>>
}

export function createSourceStatusBoard(sources: Record<SourceName, StatefulSource>): SourceStatusBoard {
  const last = new Map<SourceName, LastCall>()
  return {
    record(event) {
      const ok = typeof event.outcome === 'number' && event.outcome < 400
      last.set(event.source, { at: new Date().toISOString(), outcome: event.outcome, ok, durationMs: Math.round(event.durationMs) })
    },
    async read(now) {
      const names = Object.keys(sources) as SourceName[]
      const states = await Promise.all(names.map((name) => sources[name].state(now)))
      return Object.fromEntries(names.map((name, i) => [name, { ...states[i]!, ...(last.has(name) ? { lastCall: last.get(name) } : {}) }])) as Record<SourceName, SourceStatus>
    },
  }
}
