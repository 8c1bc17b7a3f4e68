import { parseArgs } from 'node:util'
import { CURRENCIES } from '../schemas/market.ts'

export const USAGE = `Usage: npm run warm -- <file> [options]
       npm run warm -- --top N [--days D] [options]

Validates products ahead of their users, so that the servers answer them from the cache.

  <file>             product ids or AliExpress item URLs, one a line (# comments and blank lines skipped)
  --top N            the N products (each in its market) validated most often in the last --days days,
                     read from the database
  --days D           the window of --top, in days (default 7)
  --concurrency N    calls in flight to each upstream at most (default 4, 1-50)
  --country XX       ship-to country (default US); with --top, only validations for that country
  --currency XXX     price currency (default USD); with --top, only validations in that currency
  -h, --help         this text

Exit status: 0 when at least one product is cached (or there was nothing to warm), 1 when none
could be, 2 on bad arguments or configuration.`

export type WarmSource = { kind: 'file'; path: string } | { kind: 'top'; count: number; days: number }

export interface WarmArgs {
  source: WarmSource
  concurrency: number
  country?: string
  currency?: string
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export function parseWarmArgs(argv: readonly string[]): WarmArgs | 'help' {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'
  if (positionals.length > 1) throw new UsageError(`one file at most (got ${positionals.length})`)
  const file = positionals[0]
  if ((file === undefined) === (values.top === undefined)) throw new UsageError('give either a file or --top N')
  if (values.days !== undefined && values.top === undefined) throw new UsageError('--days goes with --top')
  const source: WarmSource =
    file !== undefined ? { kind: 'file', path: file } : { kind: 'top', count: int('--top', values.top, 1, 100_000), days: int('--days', values.days ?? '7', 1, 365) }
  const args: WarmArgs = { source, concurrency: int('--concurrency', values.concurrency ?? '4', 1, 50) }
  if (values.country !== undefined) {
    if (!/^[A-Za-z]{2}$/.test(values.country)) throw new UsageError(`--country must be an ISO 3166 alpha-2 code such as DE (got ${JSON.stringify(values.country)})`)
    args.country = values.country.toUpperCase()
  }
  if (values.currency !== undefined) {
    const currency = values.currency.toUpperCase()
    if (!(CURRENCIES as readonly string[]).includes(currency)) throw new UsageError(`--currency must be one of ${CURRENCIES.join(', ')} (got ${JSON.stringify(values.currency)})`)
    args.currency = currency
  }
  return args
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      top: { type: 'string' },
      days: { type: 'string' },
      concurrency: { type: 'string' },
      country: { type: 'string' },
      currency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function int(name: string, text: string | undefined, min: number, max: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text ?? '') || value < min || value > max) throw new UsageError(`${name} must be an integer ${min}-${max} (got ${JSON.stringify(text)})`)
  return value
}
