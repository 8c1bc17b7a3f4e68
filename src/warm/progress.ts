import { Presets, SingleBar } from 'cli-progress'
import type { WarmTally } from './warm.ts'

// A bar on a terminal; on anything else (a pipe, a log file, CI) a plain line at every tenth of the
// way and at the end, so logs stay readable and nothing is redrawn.

export interface Output {
  write(text: string): unknown
  isTTY?: boolean
}

export interface Progress {
  update(tally: WarmTally): void
  stop(): void
}

const STEPS = 10

export function createProgress(total: number, out: Output): Progress {
  if (out.isTTY) return barProgress(total, out)
  let nextLine = 1
  return {
    update(tally) {
      // Lines at 10 %, 20 %, ... of the way, and the last one whatever the rounding.
      if (tally.done < tally.total && tally.done * STEPS < nextLine * total) return
      while (nextLine * total <= tally.done * STEPS) nextLine++
      out.write(`${line(tally)}\n`)
    },
    stop() {},
  }
}

function line(t: WarmTally): string {
  const percent = t.total === 0 ? 100 : Math.floor((t.done / t.total) * 100)
  const skipped = t.skipped > 0 ? `, skipped ${t.skipped}` : ''
  return `warm: ${t.done}/${t.total} (${percent}%) already cached ${t.alreadyCached}, validated ${t.validated}, failed ${t.failed}${skipped}`
}

function barProgress(total: number, out: Output): Progress {
  const bar = new SingleBar(
    {
      stream: out as NodeJS.WritableStream,
      format: 'warm [{bar}] {value}/{total} {percentage}% | cached {cached} | validated {validated} | failed {failed} | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  )
  bar.start(total, 0, { cached: 0, validated: 0, failed: 0 })
  return {
    update(t) {
      bar.update(t.done, { cached: t.alreadyCached, validated: t.validated, failed: t.failed + t.skipped })
    },
    stop() {
      bar.stop()
    },
  }
}
