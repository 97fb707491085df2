import { readFile } from 'node:fs/promises';
import { BallastError } from '../errors/ballast-error.ts';
import { resolveChartUrl } from '../helm/chart-url.ts';
import { parseIndex, type SkippedEntry } from '../helm/index-parse.ts';
import { guardRefusal } from './index-guard.ts';
import { buildServedIndex, type ServedIndex } from './served-index.ts';

export interface IndexBuildJob {
  /** A file holding the upstream's index.yaml, as received. */
  file: string;
  /** The upstream repository URL that relative chart URLs resolve against. */
  upstream: string;
  upstreamLabel: string;
  /** The guard's yardstick; undefined for the first index or one loaded from the store. */
  lastGoodVersions: number | undefined;
  maxShrink: number;
}

export interface IndexBuildResult {
  served: ServedIndex;
  skipped: SkippedEntry[];
}

/**
 * Turns an upstream index into the served form: parse with Helm's rules, guard against an
 * empty or shrunken index, resolve chart URLs against the upstream, serialise and compress.
 * Runs in a child process (run-index-build.ts), so the parse's garbage never lands in the
 * server's memory and a large index does not block requests.
 */
export async function buildIndex(job: IndexBuildJob): Promise<IndexBuildResult> {
  const parsed = parseIndex(await readFile(job.file), job.upstreamLabel);
  const lastGood =
    job.lastGoodVersions === undefined ? undefined : { versions: job.lastGoodVersions };
  const refusal = guardRefusal(parsed, lastGood, job.maxShrink);
  if (refusal) {
    throw new BallastError('BALLAST_INDEX_REFUSED', {
      source: job.upstreamLabel,
      reason: refusal.message,
      guard: refusal.reason,
    });
  }
  for (const versions of Object.values(parsed.index.entries)) {
    for (const entry of versions)
      entry.urls = [resolveChartUrl(job.upstream, entry.urls[0] as string)];
  }
  return { served: await buildServedIndex(parsed.index), skipped: parsed.skipped };
}
