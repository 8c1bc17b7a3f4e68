// YouTube's daily quotas reset at midnight Pacific time (https://developers.google.com/youtube/v3/getting-started#quota).

const PACIFIC = 'America/Los_Angeles'
const pacificParts = new Intl.DateTimeFormat('en-US', {
  timeZone: PACIFIC,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

function wallClock(instantMs: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {}
  for (const part of pacificParts.formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value)
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! }
}

/** Pacific wall-clock time minus UTC at that instant, in ms (-8 h in winter, -7 h in summer). */
function pacificOffsetMs(instantMs: number): number {
  const w = wallClock(instantMs)
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return wallAsUtc - Math.floor(instantMs / 1000) * 1000
}

/** The Pacific calendar day, `YYYY-MM-DD`, that YouTube's quota counts against. */
export function pacificDayKey(now: Date): string {
  const w = wallClock(now.getTime())
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`
}

export function nextPacificMidnight(now: Date): Date {
  const w = wallClock(now.getTime())
  const midnightWall = Date.UTC(w.year, w.month - 1, w.day + 1)
  // The offset at the guess can be the wrong side of a DST change; the second pass uses the offset at
  // the corrected instant. DST switches at 02:00, never at midnight, so midnight is never ambiguous.
  let instant = midnightWall - pacificOffsetMs(midnightWall)
  instant = midnightWall - pacificOffsetMs(instant)
  return new Date(instant)
}
