import type { Mirrors } from '../app/create-mirrors.ts';
import { isMissing } from '../files/checksum-source.ts';

/** A chart version a repository's index lists. */
export interface ListedChart {
  file: string;
  name: string;
  version: string;
  /** Absent for an entry listed without a digest and not pinned yet. */
  digest?: string;
}

export type ItemStatus = 'fetched' | 'cached' | 'absent';

export interface ItemOutcome {
  status: ItemStatus;
  bytes?: number;
  digest?: string;
}

/**
 * What sync warms: the mirrors of this process, built from the config. One interface so the
 * planning and reporting do not care how the content is reached.
 */
export interface SyncTarget {
  /** Revalidates the index; when that fails, the stored one is listed and `stale` says why. */
  charts(
    repo: string,
    signal: AbortSignal,
  ): Promise<{ charts: ListedChart[]; stale?: { code: string; message: string } }>;
  chart(repo: string, file: string, signal: AbortSignal): Promise<ItemOutcome>;
  provenance(repo: string, file: string, signal: AbortSignal): Promise<ItemOutcome>;
  file(mirror: string, path: string, signal: AbortSignal): Promise<ItemOutcome>;
}

export function createLocalSyncTarget(mirrors: Mirrors): SyncTarget {
  const repoOf = (name: string) => {
    const repo = mirrors.repos.get(name);
    if (!repo) throw new Error(`no repository ${name}`);
    return repo;
  };
  return {
    async charts(repo, signal) {
      const mirror = repoOf(repo);
      let stale: { code: string; message: string } | undefined;
      await mirror.refresh(signal).catch((error: unknown) => {
        if (signal.aborted) throw error;
        const code = (error as { code?: string }).code ?? 'BALLAST_INTERNAL';
        stale = { code, message: `serving the stored index: ${(error as Error).message}` };
      });
      // With the refresh failed, this is the stored index, or an error when there is none.
      const view = await mirror.index(signal);
      const charts = [...view.index.charts].map(([file, source]) => ({
        file,
        name: source.name,
        version: source.version,
        ...(source.digest ? { digest: source.digest } : {}),
      }));
      return { charts, ...(stale ? { stale } : {}) };
    },

    async chart(repo, file, signal) {
      const mirror = repoOf(repo);
      const source = (await mirror.index(signal)).index.charts.get(file);
      const before = source?.digest && (await mirrors.store.statBlob(source.digest));
      const blob = before ?? (await mirror.chart(file, signal));
      return { status: before ? 'cached' : 'fetched', bytes: blob.size, digest: blob.digest };
    },

    async provenance(repo, file, signal) {
      try {
        const body = await repoOf(repo).provenance(`${file}.prov`, signal);
        return { status: 'fetched', bytes: body.length };
      } catch (error) {
        if (isMissing(error)) return { status: 'absent' };
        throw error;
      }
    },

    async file(mirror, path, signal) {
      const files = mirrors.files.get(mirror);
      if (!files) throw new Error(`no file mirror ${mirror}`);
      const view = await files.file(path, signal);
      return {
        status: view.fetched ? 'fetched' : 'cached',
        bytes: view.blob.size,
        digest: view.blob.digest,
      };
    },
  };
}
