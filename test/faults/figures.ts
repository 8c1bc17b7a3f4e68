// The fault suite's figures: per fault, how many requests, how many failed the suite's rules, and
// their latencies; printed with t.comment so a run's log carries them.

interface Comments {
  comment(...args: unknown[]): void
}

export interface FaultFigures {
  record(fault: string, ms: number, failed: boolean): void
  print(t: Comments, title: string): void
}

export function faultFigures(): FaultFigures {
  const rows = new Map<string, { ms: number[]; failed: number }>()
  return {
    record(fault, ms, failed) {
      const row = rows.get(fault) ?? { ms: [], failed: 0 }
      row.ms.push(ms)
      if (failed) row.failed++
      rows.set(fault, row)
    },
    print(t, title) {
      let requests = 0
      let failures = 0
      const lines = [...rows].map(([fault, { ms, failed }]) => {
        const sorted = [...ms].sort((a, b) => a - b)
        const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(0)
        requests += ms.length
        failures += failed
        return `  ${fault.padEnd(28)} requests ${String(ms.length).padStart(4)}  failures ${failed}  p50 ${pick(0.5)} ms  max ${pick(1)} ms`
      })
      t.comment(`${title}: ${rows.size} faults, ${requests} requests, ${failures} failures`)
      for (const line of lines) t.comment(line)
    },
  }
}
