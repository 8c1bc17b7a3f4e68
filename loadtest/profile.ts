import type { ProfileEntry } from './report.ts'

// Self time per function from a V8 .cpuprofile (what `node --cpu-prof` writes): each sample names
// the node that was on top of the stack, and timeDeltas says how long until the next sample.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number }[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface TopOptions {
  limit?: number
  /** path prefix to cut from file locations */
  root?: string
  /** count only the samples of the last this-many ms (the load, not start-up) */
  lastMs?: number
}

export function topSelfTime(profile: CpuProfile, options: TopOptions = {}): ProfileEntry[] {
  const { limit = 10, root = '' } = options
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<string, { functionName: string; location: string; us: number }>()
  const fromUs = options.lastMs === undefined ? -Infinity : profile.endTime - options.lastMs * 1000
  let totalUs = 0
  let at = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0
    // V8 gives the delta BEFORE sample i; the time until the next sample is the better estimate
    // of how long sample i's function ran.
    const us = profile.timeDeltas[i + 1] ?? 0
    const node = byNode.get(profile.samples[i]!)
    if (!node || at < fromUs) continue
    totalUs += us
    const { functionName, url, lineNumber } = node.callFrame
    const location = url ? `${shorten(url, root)}:${lineNumber + 1}` : ''
    const key = `${functionName}\u0000${location}`
    const entry = selfUs.get(key) ?? { functionName: functionName || '(anonymous)', location, us: 0 }
    entry.us += us
    selfUs.set(key, entry)
  }
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({ functionName: e.functionName, location: e.location, selfMs: e.us / 1000, selfPercent: totalUs > 0 ? (e.us / totalUs) * 100 : 0 }))
}

function shorten(url: string, root: string): string {
  const path = url.replace(/^file:\/\//, '')
  if (root && path.startsWith(root)) return path.slice(root.length).replace(/^\//, '')
  return path
}
