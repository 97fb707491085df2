import type { ProbeObservation, UpstreamHealth } from './upstream-state.ts';

/** Consecutive probes that saw the same thing, as one entry: a day of probes stays small. */
export interface HistoryRun {
  health: UpstreamHealth;
  from: number;
  to: number;
  stage?: string;
  code?: string;
}

export const historyLimits = Object.freeze({
  /** How far back the history reaches. */
  spanMs: 24 * 60 * 60 * 1000,
  /** Upper bound whatever the interval: an upstream flapping at every probe stays bounded. */
  maxRuns: 1500,
});

/** The history with one more observation, older runs dropped past the span or the count. */
export function appendObservation(
  runs: readonly HistoryRun[],
  seen: ProbeObservation,
): HistoryRun[] {
  const last = runs.at(-1);
  const next = [...runs];
  if (last && last.health === seen.health && last.code === seen.code) {
    next[next.length - 1] = { ...last, to: seen.at };
  } else {
    const run: HistoryRun = { health: seen.health, from: seen.at, to: seen.at };
    if (seen.stage) run.stage = seen.stage;
    if (seen.code) run.code = seen.code;
    next.push(run);
  }
  const oldest = seen.at - historyLimits.spanMs;
  let start = 0;
  while (start < next.length && (next[start] as HistoryRun).to < oldest) start++;
  start = Math.max(start, next.length - historyLimits.maxRuns);
  return start > 0 ? next.slice(start) : next;
}

/**
 * The history as `slots` equal slices of the span ending at `now`, each the worst state seen
 * in it (null where nothing was probed): what the status page draws.
 */
export function historyStrip(
  runs: readonly HistoryRun[],
  now: number,
  slots = 48,
): Array<UpstreamHealth | null> {
  const width = historyLimits.spanMs / slots;
  const start = now - historyLimits.spanMs;
  const strip: Array<UpstreamHealth | null> = new Array(slots).fill(null);
  const rank = { healthy: 0, degraded: 1, down: 2 } as const;
  for (const run of runs) {
    const first = Math.max(0, Math.floor((run.from - start) / width));
    const last = Math.min(slots - 1, Math.floor((run.to - start) / width));
    for (let slot = first; slot <= last; slot++) {
      const current = strip[slot];
      if (current === null || current === undefined || rank[run.health] > rank[current])
        strip[slot] = run.health;
    }
  }
  return strip;
}
