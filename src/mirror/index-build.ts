import { readFile } from 'node:fs/promises';
import { BallastError } from '../errors/ballast-error.ts';
import { chartFileName, resolveChartUrl } from '../helm/chart-url.ts';
import { keepEntries, mergeIndexes } from '../helm/index-merge.ts';
import {
  type ChartVersion,
  type HelmIndex,
  parseIndex,
  type SkippedEntry,
} from '../helm/index-parse.ts';
import type { IndexRepair } from '../helm/index-repairs.ts';
import { guardRefusal } from './index-guard.ts';
import { type BuiltServedIndex, writeServedIndex } from './served-index.ts';

/** One upstream's index.yaml, as received, parked in a file. */
export interface IndexSource {
  file: string;
  /** The upstream repository URL that relative chart URLs resolve against. */
  upstream: string;
  label: string;
  /** The upstream's place in the repository's list; charts remember it. */
  position: number;
}

export interface IndexBuildJob {
  /** One source, or several to merge (the first wins a conflict). */
  sources: IndexSource[];
  /** The guard's yardstick: versions of the last good index; undefined for the first. */
  lastGoodVersions: number | undefined;
  maxShrink: number;
  /** repos[].unverified: entries without a usable digest are kept (and pinned) or skipped. */
  unverified?: 'pin' | 'skip';
  /** Digests pinned on first fetch, by served file name (bare hex). */
  pins?: Record<string, string>;
  /** guard.keepRemoved: the served JSON to take entries from, and the files whose charts are cached. */
  keep?: { servedFile: string; files: { file: string; url: string; position: number }[] };
  /** Where the served JSON is written. */
  servedFile: string;
}

export interface IndexBuildResult {
  served: BuiltServedIndex;
  skipped: SkippedEntry[];
  repairs: IndexRepair[];
  /** Chart versions kept although the upstream removed them (guard.keepRemoved). */
  kept: number;
}

/**
 * Turns upstream indexes into the served form: parse with Helm's rules, guard against an
 * empty or shrunken index, resolve chart URLs against their upstream, merge, serialise and
 * write to a file. Runs in a child process (run-index-build.ts), so the parse's garbage never lands
 * in the server's memory and a large index does not block requests.
 */
export async function buildIndex(job: IndexBuildJob): Promise<IndexBuildResult> {
  const skipped: SkippedEntry[] = [];
  const repairs: IndexRepair[] = [];
  const positions = new WeakMap<ChartVersion, number>();
  const indexes: HelmIndex[] = [];
  for (const source of job.sources) {
    const parsed = parseIndex(await readFile(source.file), source.label, {
      unverified: job.unverified ?? 'skip',
    });
    skipped.push(...parsed.skipped, ...parsed.dropped);
    repairs.push(...parsed.repairs);
    for (const versions of Object.values(parsed.index.entries)) {
      for (const entry of versions) {
        const url = entry.urls[0];
        entry.urls = url ? [resolveChartUrl(source.upstream, url)] : [];
        entry.digest ??= job.pins?.[chartFileName(entry.name, entry.version)];
        positions.set(entry, source.position);
      }
    }
    indexes.push(parsed.index);
  }
  const index = indexes.length === 1 ? (indexes[0] as HelmIndex) : mergeIndexes(indexes);
  const versions = Object.values(index.entries).reduce((sum, list) => sum + list.length, 0);
  const lastGood =
    job.lastGoodVersions === undefined ? undefined : { versions: job.lastGoodVersions };
  const refusal = guardRefusal({ versions }, lastGood, job.maxShrink);
  if (refusal) {
    const source = job.sources.map((s) => s.label).join(', ');
    throw new BallastError('BALLAST_INDEX_REFUSED', {
      source,
      reason: refusal.message,
      guard: refusal.reason,
    });
  }
  const kept = job.keep ? keepEntries(index, await keptEntries(job.keep, positions)) : 0;
  return {
    served: await writeServedIndex(index, job.servedFile, (entry) => positions.get(entry) ?? 0),
    skipped,
    repairs,
    kept,
  };
}

/** Entries of the served index whose charts are cached, with their upstream URLs restored. */
async function keptEntries(
  keep: NonNullable<IndexBuildJob['keep']>,
  positions: WeakMap<ChartVersion, number>,
): Promise<ChartVersion[]> {
  const wanted = new Map(keep.files.map((f) => [f.file, f]));
  const served = JSON.parse((await readFile(keep.servedFile)).toString()) as HelmIndex;
  const entries: ChartVersion[] = [];
  for (const versions of Object.values(served.entries)) {
    for (const entry of versions) {
      const source = wanted.get(chartFileName(entry.name, entry.version));
      if (!source) continue;
      const restored = { ...entry, urls: [source.url] };
      positions.set(restored, source.position);
      entries.push(restored);
    }
  }
  return entries;
}
