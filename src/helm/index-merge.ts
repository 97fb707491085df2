import { chartFileName } from './chart-url.ts';
import type { ChartVersion, HelmIndex } from './index-parse.ts';

/**
 * The union of several indexes' entries; for a chart version listed by more than one, the
 * first index wins. Top-level fields come from the first index.
 */
export function mergeIndexes(indexes: readonly HelmIndex[]): HelmIndex {
  const [first] = indexes;
  if (!first) throw new Error('nothing to merge');
  const entries: Record<string, ChartVersion[]> = Object.create(null);
  const seen = new Set<string>();
  for (const index of indexes) {
    for (const [chart, versions] of Object.entries(index.entries)) {
      for (const entry of versions) {
        const file = chartFileName(entry.name, entry.version);
        if (seen.has(file)) continue;
        seen.add(file);
        entries[chart] ??= [];
        entries[chart].push(entry);
      }
    }
  }
  return { ...first, entries };
}

/** Adds the given entries back where the index no longer lists their chart version. */
export function keepEntries(index: HelmIndex, kept: readonly ChartVersion[]): number {
  const present = new Set<string>();
  for (const versions of Object.values(index.entries)) {
    for (const entry of versions) present.add(chartFileName(entry.name, entry.version));
  }
  let added = 0;
  for (const entry of kept) {
    if (present.has(chartFileName(entry.name, entry.version))) continue;
    index.entries[entry.name] ??= [];
    index.entries[entry.name]?.push(entry);
    added += 1;
  }
  return added;
}
