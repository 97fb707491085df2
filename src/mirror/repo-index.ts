import type { RepoConfig } from '../config/schema.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { Logger } from '../observability/logger.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { Digest, Store } from '../store/store.ts';
import type { IndexOptions, IndexStatus, IndexView } from './chart-repo.ts';
import { createIndexFreshness } from './index-freshness.ts';
import { createIndexRebuild } from './index-rebuild.ts';
import { createRepoUpstreams, createRevalidation } from './index-revalidate.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import type { RunIndexBuild } from './served-build.ts';
import { createServedKeeper } from './served-keeper.ts';
import { type CurrentIndex, createServedSlot } from './served-slot.ts';
import type { Resilience } from './upstream-calls.ts';
import type { UpstreamIndex } from './upstream-index.ts';

export type { IndexStatus, IndexView } from './chart-repo.ts';

export interface RepoIndexOptions {
  repo: RepoConfig;
  upstreams: readonly MirrorUpstream[];
  store: Store;
  resilience: Resilience;
  logger: Logger;
  now: () => number;
  /** Runs one index build (a child process but in tests). */
  runBuild: RunIndexBuild;
  /** guard.keepRemoved keeps only versions whose chart is in the store. */
  isChartStored: (digest: Digest) => Promise<boolean>;
  /** Set when replicas share the store: this one's name in refresh leases. */
  replica?: string;
}

/** The index side of a repository: which upstream index is served, its freshness and guard. */
export interface RepoIndex {
  /** One per configured upstream, in the configured order. */
  readonly upstreams: readonly UpstreamIndex[];
  /** Loads the last good index from the store; once, however often it is called. */
  load(): Promise<void>;
  /** The served index; a request that comes while the stored one loads waits for it (bounded). */
  index(signal?: AbortSignal, options?: IndexOptions): Promise<IndexView>;
  refresh(signal?: AbortSignal): Promise<void>;
  /**
   * Rebuilds the served index from the stored upstream copies so that digests pinned since
   * (`unverified: pin`) are served; `pinned` tells how many there are now.
   */
  servePins(pinned: () => number): Promise<void>;
  status(): IndexStatus;
}

/**
 * The index lifecycle of one repository: the index from the first healthy upstream (or the
 * union of all, with `merge`), freshness, the guard, and the last good copy across restarts.
 */
export function createRepoIndex(options: RepoIndexOptions): RepoIndex {
  const { repo, store, resilience, now, logger } = options;
  const { bus } = resilience;
  const keeper = createServedKeeper({
    repo: repo.name,
    store,
    logger,
    runBuild: options.runBuild,
    now,
    upstreams: () => upstreams,
  });
  const upstreams = createRepoUpstreams({
    repo,
    clients: options.upstreams,
    store,
    resilience,
    buildIndex: keeper.buildIndex,
    now,
    ...(options.replica ? { replica: options.replica } : {}),
  });
  const served = createServedSlot({ repo: repo.name, keeper, upstreams, bus, logger, now });
  const rebuild = createIndexRebuild({
    repo,
    store,
    logger,
    upstreams,
    buildIndex: keeper.buildIndex,
    isChartStored: options.isChartStored,
    served,
  });
  const revalidateUpstreams = createRevalidation({ repo, resilience, upstreams, rebuild, served });
  const freshness = createIndexFreshness({
    repo: repo.name,
    store,
    bus,
    logger,
    now,
    asked: () => upstreams.reduce((sum, u) => sum + u.asked, 0),
    servedFrom: () => (served.current()?.from ?? []).flatMap((p) => upstreams[p]?.client.url ?? []),
    ...(options.replica ? { replica: options.replica } : {}),
  });
  // A refresh stores the index for every client after the one that asked: clients with
  // timeouts shorter than a slow upstream's answer must not cancel it again and again.
  const refreshFlight = createSingleFlight<void>({ outlivesCallers: true });
  let lastError: BallastError | undefined;
  /** With replicas: when this one last heard how fresh the index is from the one that asked. */
  let heardAt = 0;
  let loading: Promise<void> | undefined;
  let loaded = false;

  async function revalidate(signal: AbortSignal): Promise<void> {
    const attempt = freshness.begin();
    try {
      await revalidateUpstreams(signal);
      const heard = await attempt.succeeded();
      lastError = heard.lastError;
      heardAt = heard.heardAt;
      if (heard.servedFrom) await followHolder(heard.servedFrom);
      await served.confirmed(heard.checkedAt);
    } catch (error) {
      lastError = isBallastError(error)
        ? error
        : new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
            source: repo.name,
            reason: String(error),
          });
      await attempt.failed(served.checkedAt, lastError);
      const failure = { repo: repo.name, code: lastError.code, message: lastError.message };
      bus.emit('index:refresh-failed', { ...failure, upstream: '' });
      if (served.current() && served.checkedAt > 0)
        bus.emit('index:stale', { ...failure, ageMs: now() - served.checkedAt });
      throw lastError;
    }
  }

  /**
   * A replica without the lease serves from the upstreams the one that asked serves from:
   * after its failover to a backup, the backup's stored index rather than the primary's last
   * good one. That replica guarded what it stored, so it is built as stored.
   */
  async function followHolder(urls: string[]) {
    const from = urls.map((url) => upstreams.findIndex((u) => u.client.url === url));
    const current = served.current();
    if (from.includes(-1) || !current || from.join() === current.from.join()) return;
    try {
      const built = await rebuild.fromStored(from, { lastGoodVersions: undefined, maxShrink: 1 });
      if (served.current() === current) await served.swap(built.served, from, built.kept);
    } catch (error) {
      logger.warn(
        { err: error, servedFrom: urls },
        'could not serve what the other replicas serve',
      );
    }
  }

  function refresh(signal?: AbortSignal): Promise<void> {
    return refreshFlight.run('index', revalidate, signal);
  }

  async function index(signal?: AbortSignal, options: IndexOptions = {}): Promise<IndexView> {
    if (!loaded && loading) await untilLoaded(loading, resilience.deadlineMs, repo.name, signal);
    const repairing = served.repairing();
    if (repairing) await untilLoaded(repairing, resilience.deadlineMs, repo.name, signal);
    if (!served.current()) {
      await refresh(signal).catch((error: unknown) => {
        if (served.current()) return;
        // The cause's code goes along, so the client can tell what failed upstream.
        const reason = isBallastError(error)
          ? `${error.code}: ${error.message}`
          : (error as Error).message;
        throw new BallastError(
          'BALLAST_INDEX_UNAVAILABLE',
          { repo: repo.name, reason },
          { cause: error },
        );
      });
    } else if (
      now() - Math.max(served.checkedAt, heardAt) >= repo.refresh &&
      refreshFlight.inFlight === 0
    ) {
      refresh().catch((error: unknown) =>
        logger.warn({ err: error }, 'background index refresh failed'),
      );
    }
    const current =
      options.table === false ? served.current() : await withTable(served.current(), signal);
    if (!current)
      throw new BallastError('BALLAST_INDEX_UNAVAILABLE', { repo: repo.name, reason: 'no index' });
    const { checkedAt } = served;
    if (lastError) bus.emit('index:stale-served', { repo: repo.name, ageMs: now() - checkedAt });
    return {
      index: current.index,
      checkedAt,
      ...(lastError ? { staleBecause: lastError.code } : {}),
    };
  }

  /** Waits for a restored index's chart table, or for the rebuild when it failed its check. */
  async function withTable(current: CurrentIndex | undefined, signal?: AbortSignal) {
    const tableRead = current?.index.tableRead;
    if (!tableRead) return current;
    const waited = tableRead.then(() => undefined);
    await untilLoaded(waited, resilience.deadlineMs, repo.name, signal);
    const repairing = served.repairing();
    if (repairing) await untilLoaded(repairing, resilience.deadlineMs, repo.name, signal);
    return served.current();
  }

  return {
    upstreams,
    servePins: rebuild.servePins,

    load() {
      loading ??= served
        .restore(
          async (from) =>
            (await rebuild.fromStored(from, { lastGoodVersions: undefined, maxShrink: 1 })).served,
        )
        .finally(() => {
          loaded = true;
        });
      return loading;
    },

    index,
    refresh,

    status() {
      return {
        ready: served.current() !== undefined,
        loading: (loading !== undefined && !loaded) || served.repairing() !== undefined,
        versions: served.current()?.index.versions ?? 0,
        checkedAt: served.checkedAt,
        ...(lastError ? { lastError: lastError.message } : {}),
      };
    },
  };
}

/** Waits for the stored index, no longer than a request may wait for an upstream. */
async function untilLoaded(
  loading: Promise<void>,
  deadlineMs: number,
  repo: string,
  signal?: AbortSignal,
): Promise<void> {
  const waited = AbortSignal.any([AbortSignal.timeout(deadlineMs), ...(signal ? [signal] : [])]);
  const gaveUp = new Promise<never>((_resolve, reject) => {
    waited.addEventListener('abort', () => reject(waited.reason), { once: true });
  });
  await Promise.race([loading, gaveUp]).catch(() => {
    throw new BallastError('BALLAST_INDEX_UNAVAILABLE', {
      repo,
      reason: 'the stored index is still loading',
    });
  });
}
