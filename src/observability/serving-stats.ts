import type { Store } from '../store/store.ts';
import type { EventBus } from './events.ts';

export interface ChartPulls {
  repo: string;
  chart: string;
  pulls: number;
}

export interface ServingStats {
  hits: number;
  misses: number;
  /** Bytes of blobs in the store: counted once at start, then as blobs are stored. */
  storedBytes(): number | undefined;
  upstreamRequests: Record<'ok' | 'not-modified' | 'error', number>;
  /** The most pulled charts since start, most first. */
  topCharts(limit: number): ChartPulls[];
  /** Index refusals of the guard per repository, with the last reason. */
  guardRefusals(repo: string): { count: number; last?: { at: number; message: string } };
}

/**
 * The figures of the status page, kept from events as they happen so that rendering the page
 * reads counters instead of walking the store or the metrics registry.
 */
export function createServingStats(bus: EventBus, store: Store, now = Date.now): ServingStats {
  const pulls = new Map<string, ChartPulls>();
  const refusals = new Map<string, { count: number; last?: { at: number; message: string } }>();
  const upstreamRequests = { ok: 0, 'not-modified': 0, error: 0 };
  let storedBytes: number | undefined;
  let addedSinceStart = 0;
  const stats: ServingStats = {
    hits: 0,
    misses: 0,
    storedBytes: () => (storedBytes === undefined ? undefined : storedBytes + addedSinceStart),
    upstreamRequests,
    topCharts: (limit) => [...pulls.values()].sort((a, b) => b.pulls - a.pulls).slice(0, limit),
    guardRefusals: (repo) => refusals.get(repo) ?? { count: 0 },
  };
  const pulled = ({ repo, kind, chart }: { repo: string; kind: string; chart?: string }) => {
    if (kind !== 'chart' || chart === undefined) return;
    const key = `${repo}/${chart}`;
    const entry = pulls.get(key);
    if (entry) entry.pulls++;
    else pulls.set(key, { repo, chart, pulls: 1 });
  };
  bus.on('cache:hit', (e) => {
    stats.hits++;
    pulled(e);
  });
  bus.on('cache:miss', (e) => {
    stats.misses++;
    pulled(e);
  });
  bus.on('upstream:request', ({ outcome }) => upstreamRequests[outcome]++);
  bus.on('chart:stored', ({ bytes }) => {
    addedSinceStart += bytes;
  });
  bus.on('file:stored', ({ bytes }) => {
    addedSinceStart += bytes;
  });
  bus.on('guard:refused', ({ repo, message }) => {
    const entry = refusals.get(repo) ?? { count: 0 };
    entry.count++;
    entry.last = { at: now(), message };
    refusals.set(repo, entry);
  });
  // One walk of the store in the background; the page shows the figure once it is known.
  void (async () => {
    let total = 0;
    for await (const blob of store.listBlobs()) total += blob.size;
    storedBytes = total;
  })().catch(() => {});
  return stats;
}
