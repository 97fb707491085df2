import { matches, type SyncSelection, selectorsFor } from './sync-selection.ts';
import type { ItemStatus, SyncTarget } from './sync-target.ts';

export type SyncItemKind = 'index' | 'chart' | 'provenance' | 'file';

export interface SyncItem {
  kind: SyncItemKind;
  /** Repository or file mirror. */
  source: string;
  /** Chart file, provenance file or file path; the index's name for `index`. */
  name: string;
  status: ItemStatus | 'failed' | 'stale';
  bytes?: number;
  digest?: string;
  error?: { code: string; message: string };
}

export interface SyncProgress {
  done: number;
  total: number;
  failed: number;
  current?: string;
}

export interface SyncOptions {
  concurrency: number;
  /** Stops taking new items; the items in flight finish (a second Ctrl-C exits at once). */
  signal: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
}

export interface SyncResult {
  ok: boolean;
  interrupted: boolean;
  durationMs: number;
  counts: Record<SyncItem['status'], number>;
  bytesFetched: number;
  items: SyncItem[];
}

interface Job {
  kind: SyncItemKind;
  source: string;
  name: string;
  run(signal: AbortSignal): Promise<Omit<SyncItem, 'kind' | 'source' | 'name'>>;
}

/**
 * Pre-warms the mirrors: each selected repository's index is revalidated, then its selected
 * chart versions (and provenance files) and the listed files are fetched, a few at a time.
 * What is in the store already is only checked, never fetched again, so a run that was
 * interrupted resumes where it stopped. Every item ends up in the result, failures included.
 */
export async function runSync(
  target: SyncTarget,
  selection: SyncSelection,
  options: SyncOptions,
): Promise<SyncResult> {
  const started = performance.now();
  const items: SyncItem[] = [];
  const progress: SyncProgress = { done: 0, total: 0, failed: 0 };
  const report = (item: SyncItem) => {
    items.push(item);
    progress.done += 1;
    if (item.status === 'failed') progress.failed += 1;
    options.onProgress?.({ ...progress, current: `${item.source}/${item.name}` });
  };

  // Items in flight are not cancelled by an interruption: a half-fetched chart would be fetched
  // again on the next run, and its cancellation is not a failure to report.
  const inFlight = new AbortController().signal;
  const jobs: Job[] = [];
  const matched = new Set<string>();
  progress.total = selection.repos.length + selection.files.length;
  options.onProgress?.({ ...progress });
  await pool(selection.repos, options, async (repo) => {
    try {
      const listed = await target.charts(repo, inFlight);
      const chartJobs = planCharts(target, selection, repo, listed.charts, matched);
      jobs.push(...chartJobs);
      progress.total += chartJobs.length;
      report({
        kind: 'index',
        source: repo,
        name: 'index.yaml',
        status: listed.stale ? 'stale' : 'fetched',
        ...(listed.stale ? { error: listed.stale } : {}),
      });
    } catch (error) {
      report({
        kind: 'index',
        source: repo,
        name: 'index.yaml',
        status: 'failed',
        error: errorOf(error),
      });
    }
  });
  // A selector that matches no version anywhere is a mistake worth failing on.
  for (const selector of selection.charts) {
    if (matched.has(selector.text) || options.signal.aborted) continue;
    progress.total += 1;
    report({
      kind: 'chart',
      source: selector.repo ?? selection.repos.join(','),
      name: selector.text,
      status: 'failed',
      error: {
        code: 'BALLAST_CHART_NOT_FOUND',
        message: `no chart version matches ${selector.text}`,
      },
    });
  }
  for (const { mirror, path } of selection.files) {
    jobs.push({
      kind: 'file',
      source: mirror,
      name: path,
      run: (signal) => target.file(mirror, path, signal),
    });
  }

  await pool(jobs, options, async (job) => {
    try {
      report({
        kind: job.kind,
        source: job.source,
        name: job.name,
        ...(await job.run(inFlight)),
      });
    } catch (error) {
      report({
        kind: job.kind,
        source: job.source,
        name: job.name,
        status: 'failed',
        error: errorOf(error),
      });
    }
  });

  const counts = { fetched: 0, cached: 0, absent: 0, stale: 0, failed: 0 };
  let bytesFetched = 0;
  for (const item of items) {
    counts[item.status] += 1;
    if (item.status === 'fetched' && item.kind !== 'index') bytesFetched += item.bytes ?? 0;
  }
  const interrupted = options.signal.aborted;
  return {
    ok: counts.failed === 0 && counts.stale === 0 && !interrupted,
    interrupted,
    durationMs: Math.round(performance.now() - started),
    counts,
    bytesFetched,
    items,
  };
}

function planCharts(
  target: SyncTarget,
  selection: SyncSelection,
  repo: string,
  charts: readonly { file: string; name: string; version: string }[],
  matched: Set<string>,
): Job[] {
  const selectors = selectorsFor(selection, repo);
  const chosen = charts.filter((chart) => {
    if (selectors.length === 0) return true;
    const hits = selectors.filter((s) => matches(s, chart.name, chart.version));
    for (const hit of hits) matched.add(hit.text);
    return hits.length > 0;
  });
  return chosen.flatMap((chart): Job[] => {
    const jobs: Job[] = [
      {
        kind: 'chart',
        source: repo,
        name: chart.file,
        run: (signal) => target.chart(repo, chart.file, signal),
      },
    ];
    if (selection.provenance)
      jobs.push({
        kind: 'provenance',
        source: repo,
        name: `${chart.file}.prov`,
        run: (signal) => target.provenance(repo, chart.file, signal),
      });
    return jobs;
  });
}

/** Runs `work` over `list` with at most `concurrency` at once; stops taking new ones on abort. */
async function pool<T>(
  list: readonly T[],
  { concurrency, signal }: Pick<SyncOptions, 'concurrency' | 'signal'>,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length && !signal.aborted) {
      const item = list[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, worker),
  );
}

function errorOf(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown }).code;
  return {
    code: typeof code === 'string' && code.startsWith('BALLAST_') ? code : 'BALLAST_INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  };
}
