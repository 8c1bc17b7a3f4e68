import type { BadLine } from './inputs.ts'
import { SOURCE_NAMES } from './source-gate.ts'
import type { WarmReport } from './warm.ts'

// The end-of-run summary, for a person or a log: what was asked, what the cache now holds, what failed
// and why, how each source answered and which one ran out.

export interface SummaryInput {
  /** product lines (or database rows) asked for */
  requested: number
  bad: readonly BadLine[]
  report: WarmReport
}

const SHOWN_BAD_LINES = 10

export function formatSummary({ requested, bad, report }: SummaryInput): string {
  const lines: string[] = []
  const pad = (label: string) => `  ${label.padEnd(16)}`
  lines.push('warm summary')
  lines.push(`${pad('requested')}${requested}${requested !== report.total + bad.length ? ` (${report.total} distinct)` : ''}`)
  if (bad.length > 0) {
    lines.push(`${pad('invalid lines')}${bad.length}`)
    for (const b of bad.slice(0, SHOWN_BAD_LINES)) lines.push(`    line ${b.line}: ${b.message}`)
    if (bad.length > SHOWN_BAD_LINES) lines.push(`    ... and ${bad.length - SHOWN_BAD_LINES} more`)
  }
  lines.push(`${pad('already cached')}${report.alreadyCached}`)
  lines.push(`${pad('validated')}${report.validated}`)
  const failed = Object.values(report.failed).reduce((a, b) => a + b, 0)
  lines.push(`${pad('failed')}${failed}${failed > 0 ? ` (${byCount(report.failed)})` : ''}`)
  if (report.skipped > 0) lines.push(`${pad('skipped')}${report.skipped} (${report.skippedBecause})`)
  lines.push('  sources: outcomes in the validations built now; lookups asked of the source, and answered by the warmer while it was spent')
  for (const name of SOURCE_NAMES) {
    const outcomes = report.outcomes[name]
    const source = report.sources[name]
    const held = source.heldMs > 0 ? `, held ${(source.heldMs / 1000).toFixed(1)} s` : ''
    lines.push(`    ${name.padEnd(12)}${byCount(outcomes) || 'none'}; ${source.calls} asked, ${source.refused} answered by the warmer${held}`)
    for (const budget of source.state?.budgets ?? []) {
      lines.push(`      budget ${budget.name}: ${budget.used} of ${budget.limit} used${budget.resetsAt ? `, resets ${budget.resetsAt}` : ''}`)
    }
    if (source.stop) {
      const until = source.stop.until ? ` until ${source.stop.until}` : ' again in this run'
      const what = source.stop.status === 'quota_exhausted' ? 'RAN OUT' : 'PAUSED'
      lines.push(`      ${what} (${source.stop.status}) at ${source.stop.at}: ${source.stop.reason}; not asked${until}`)
    }
  }
  lines.push(`${pad('duration')}${(report.durationMs / 1000).toFixed(1)} s`)
  return `${lines.join('\n')}\n`
}

function byCount(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ')
}
