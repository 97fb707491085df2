import type { RepoConfig } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { Digest, Store } from '../store/store.ts';
import type { IndexBuildJob } from './index-build.ts';
import type { BuildServedIndex, ServedBuild, ServedBuildJob } from './served-build.ts';
import type { ServedSwap } from './served-slot.ts';
import { spoolIndex } from './stored-index.ts';
import type { UpstreamIndex } from './upstream-index.ts';

/** guard.keepRemoved for one build: what to keep, and the spooled file to remove after. */
export interface KeepRemoved {
  keep: IndexBuildJob['keep'];
  dispose(): Promise<void>;
}

export interface IndexRebuildOptions {
  repo: RepoConfig;
  store: Store;
  logger: Logger;
  upstreams: readonly UpstreamIndex[];
  buildIndex: BuildServedIndex;
  /** guard.keepRemoved keeps only versions whose chart is in the store. */
  isChartStored: (digest: Digest) => Promise<boolean>;
  served: ServedSwap;
}

/**
 * Served indexes built from what the store holds rather than from an upstream answer: the
 * upstream copies (after a failover, at start-up), the entries guard.keepRemoved keeps, and
 * the digests pinned since the last build (`unverified: pin`).
 */
export interface IndexRebuild {
  /** guard.keepRemoved: the served index's entries whose charts are stored; none without it. */
  keepRemoved(): Promise<KeepRemoved | undefined>;
  /** Builds the served index from the stored indexes of the upstreams at these positions. */
  fromStored(from: number[], job: Omit<ServedBuildJob, 'sources'>): Promise<ServedBuild>;
  /**
   * Rebuilds the served index from the stored upstream copies so that digests pinned since
   * are served; `pinned` tells how many there are now.
   */
  servePins(pinned: () => number): Promise<void>;
}

export function createIndexRebuild(options: IndexRebuildOptions): IndexRebuild {
  const { repo, store, logger, upstreams, served } = options;

  async function keepRemoved(): Promise<KeepRemoved | undefined> {
    const current = served.current();
    if (!repo.guard.keepRemoved || !current) return undefined;
    // A restored index's chart table may still be on its way from the store.
    await current.index.tableRead;
    const files: NonNullable<IndexBuildJob['keep']>['files'] = [];
    for (const [file, source] of current.index.charts) {
      if (source.digest && (await options.isChartStored(source.digest))) {
        files.push({ file, url: source.url, position: source.upstream });
      }
    }
    const body = await store.openDocument(current.index.identity.key);
    if (!body) throw new Error(`the served index ${current.index.identity.key} is gone`);
    const spooled = await spoolIndex(body);
    return { keep: { servedFile: spooled.file, files }, dispose: spooled.dispose };
  }

  async function fromStored(
    from: number[],
    job: Omit<ServedBuildJob, 'sources'>,
  ): Promise<ServedBuild> {
    const spools = [];
    try {
      for (const position of from) {
        const stored = await upstreams[position]?.spool();
        if (stored) spools.push(stored);
      }
      if (spools.length === 0)
        throw new BallastError('BALLAST_INDEX_UNAVAILABLE', {
          repo: repo.name,
          reason: 'nothing stored',
        });
      return await options.buildIndex({ ...job, sources: spools.map((s) => s.source) });
    } finally {
      await Promise.all(spools.map((s) => s.spooled.dispose()));
    }
  }

  /** Rebuilds the served index from the stored upstream copies, now with every pin in it. */
  async function rebuildWithPins(): Promise<boolean> {
    const before = served.current();
    if (!before) return true;
    const keep = await keepRemoved();
    try {
      const job = { lastGoodVersions: undefined, maxShrink: 1, ...(keep && { keep: keep.keep }) };
      const built = await fromStored(before.from, job);
      // A refresh swapped in a newer index meanwhile, which may predate the pin.
      if (served.current() !== before) return false;
      await served.swap(built.served, before.from, built.kept);
      return true;
    } finally {
      await keep?.dispose();
    }
  }

  let repinning = false;
  async function servePins(pinned: () => number): Promise<void> {
    if (repinning) return;
    repinning = true;
    try {
      // Pins recorded during a rebuild are taken by another round; three rounds are plenty.
      for (let round = 0; round < 3; round++) {
        const before = pinned();
        if ((await rebuildWithPins()) && pinned() === before) break;
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not serve newly pinned digests yet');
    } finally {
      repinning = false;
    }
  }

  return { keepRemoved, fromStored, servePins };
}
