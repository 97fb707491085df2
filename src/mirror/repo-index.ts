import type { RepoConfig } from '../config/schema.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { Logger } from '../observability/logger.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { IndexBuildJob } from './index-build.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { createRefreshLease } from './refresh-lease.ts';
import type { RunIndexBuild, ServedBuild, ServedBuildJob } from './served-build.ts';
import type { ServedIndex } from './served-index.ts';
import { createServedKeeper } from './served-keeper.ts';
import { spoolIndex } from './stored-index.ts';
import { firstSuccess, type Resilience } from './upstream-calls.ts';
import { createUpstreamIndex, type UpstreamIndex } from './upstream-index.ts';

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

export interface IndexView {
  index: ServedIndex;
  /** Set when the upstreams failed at the last attempt and this is the last good copy. */
  staleBecause?: string;
  /** When an upstream last confirmed this copy (ms since the epoch). */
  checkedAt: number;
}

export interface IndexStatus {
  ready: boolean;
  /** The stored index is still being loaded (or rebuilt) at start-up. */
  loading: boolean;
  versions: number;
  checkedAt: number;
  lastError?: string;
  /** With `unverified: pin`: entries whose digest was pinned on first fetch. */
  pinned?: number;
}

/** The index side of a repository: which upstream index is served, its freshness and guard. */
export interface RepoIndex {
  /** One per configured upstream, in the configured order. */
  readonly upstreams: readonly UpstreamIndex[];
  /** Loads the last good index from the store; once, however often it is called. */
  load(): Promise<void>;
  /** The served index; a request that comes while the stored one loads waits for it (bounded). */
  index(signal?: AbortSignal): Promise<IndexView>;
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
  const { repo, store, resilience, now } = options;
  const { bus } = resilience;
  const logger = options.logger;
  const keeper = createServedKeeper({
    repo: repo.name,
    store,
    logger,
    runBuild: options.runBuild,
    now,
    upstreams: () => upstreams,
  });
  const { buildIndex } = keeper;
  const upstreams: UpstreamIndex[] = options.upstreams.map((client, position) =>
    createUpstreamIndex({
      repo: repo.name,
      position,
      config: repo.upstreams[position] as RepoConfig['upstreams'][number],
      client,
      store,
      bus,
      buildIndex,
      now,
      ...(options.replica
        ? {
            lease: createRefreshLease({
              store,
              key: storeKeys.upstreamLease(repo.name, client.url),
              holder: options.replica,
              durationMs: repo.refresh,
              now,
            }),
          }
        : {}),
    }),
  );
  const refreshFlight = createSingleFlight<void>();
  let current: { index: ServedIndex; from: number[] } | undefined;
  /** The index served before the current one: requests may still be reading its bodies. */
  let previous: ServedIndex | undefined;
  let checkedAt = 0;
  let lastError: BallastError | undefined;
  let loading: Promise<void> | undefined;
  let loaded = false;

  /** Parses the chart table once the requests waiting for this index have been answered. */
  function parseSoon(index: ServedIndex) {
    setTimeout(() => index.charts, 0).unref();
  }

  async function swap(index: ServedIndex, from: number[], kept: number) {
    await keeper.compressIfSmall(index);
    if (current?.index !== index) previous = current?.index;
    current = { index, from };
    parseSoon(index);
    const labels = from.map((p) => upstreams[p]?.client.label).join(', ');
    bus.emit('index:updated', {
      repo: repo.name,
      upstream: labels,
      versions: index.versions,
      bytes: index.bytes,
    });
    if (kept > 0)
      logger.warn({ kept }, 'kept chart versions the upstream removed (guard.keepRemoved)');
    await keeper.keep(index, from, checkedAt || now(), () => current?.index === index);
  }

  /** guard.keepRemoved: the current index and the files whose charts are in the store. */
  async function keepOptions(): Promise<
    { keep: IndexBuildJob['keep']; dispose(): Promise<void> } | undefined
  > {
    if (!repo.guard.keepRemoved || !current) return undefined;
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

  async function build(from: number[], job: Omit<ServedBuildJob, 'sources'>): Promise<ServedBuild> {
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
      return await buildIndex({ ...job, sources: spools.map((s) => s.source) });
    } finally {
      await Promise.all(spools.map((s) => s.spooled.dispose()));
    }
  }

  /** The first healthy upstream's index becomes the served one. */
  async function revalidateFirst(signal: AbortSignal): Promise<void> {
    const keep = await keepOptions();
    try {
      const { value, upstream } = await firstSuccess(
        resilience,
        upstreams.map((u) => u.ref),
        { repo: repo.name, kind: 'index', label: `${repo.name}/index.yaml` },
        (ref, s) =>
          (upstreams[ref.position] as UpstreamIndex).fetch(
            {
              lastGoodVersions: current?.index.versions,
              maxShrink: repo.guard.maxShrink,
              keep: keep?.keep,
            },
            s,
          ),
        signal,
      );
      if (value.built) {
        await swap(value.built.served, [upstream.position], value.built.kept);
      } else if (current?.from[0] !== upstream.position || current.from.length !== 1) {
        // Unchanged upstream, but not the one served now (it recovered after a failover).
        const built = await build([upstream.position], {
          lastGoodVersions: current?.index.versions,
          maxShrink: repo.guard.maxShrink,
        });
        await swap(built.served, [upstream.position], built.kept);
      } else {
        bus.emit('index:unchanged', {
          repo: repo.name,
          upstream: upstreams[upstream.position]?.client.label ?? '',
        });
      }
    } finally {
      await keep?.dispose();
    }
  }

  /** merge: every upstream is asked; the union of their last good indexes is served. */
  async function revalidateMerged(signal: AbortSignal): Promise<void> {
    const outcomes = await Promise.allSettled(
      upstreams.map((u) =>
        firstSuccess(
          resilience,
          [u.ref],
          { repo: repo.name, kind: 'index', label: `${repo.name}/index.yaml` },
          (_ref, s) =>
            u.fetch({ lastGoodVersions: u.versions, maxShrink: repo.guard.maxShrink }, s),
          signal,
        ),
      ),
    );
    const failures = outcomes.filter((o) => o.status === 'rejected');
    if (failures.length === outcomes.length) throw (failures[0] as PromiseRejectedResult).reason;
    const changed = outcomes.some((o) => o.status === 'fulfilled' && o.value.value.changed);
    if (
      current &&
      !changed &&
      current.from.length === upstreams.filter((u) => u.versions !== undefined).length
    )
      return;
    const from = upstreams.filter((u) => u.versions !== undefined).map((u) => u.ref.position);
    const keep = await keepOptions();
    try {
      const built = await build(from, {
        lastGoodVersions: current?.index.versions,
        maxShrink: repo.guard.maxShrink,
        ...(keep ? { keep: keep.keep } : {}),
      });
      await swap(built.served, from, built.kept);
    } finally {
      await keep?.dispose();
    }
  }

  async function revalidate(signal: AbortSignal): Promise<void> {
    try {
      await (repo.merge ? revalidateMerged(signal) : revalidateFirst(signal));
      checkedAt = now();
      lastError = undefined;
      await keeper.prune([current?.index, previous]);
    } catch (error) {
      lastError = isBallastError(error)
        ? error
        : new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
            source: repo.name,
            reason: String(error),
          });
      const failure = { repo: repo.name, code: lastError.code, message: lastError.message };
      bus.emit('index:refresh-failed', { ...failure, upstream: '' });
      if (current && checkedAt > 0)
        bus.emit('index:stale', { ...failure, ageMs: now() - checkedAt });
      throw lastError;
    }
  }

  function refresh(signal?: AbortSignal): Promise<void> {
    return refreshFlight.run('index', revalidate, signal);
  }

  async function index(signal?: AbortSignal): Promise<IndexView> {
    if (!loaded && loading) await untilLoaded(signal);
    if (!current) {
      await refresh(signal).catch((error: unknown) => {
        if (current) return;
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
    } else if (now() - checkedAt >= repo.refresh && refreshFlight.inFlight === 0) {
      refresh().catch((error: unknown) =>
        logger.warn({ err: error }, 'background index refresh failed'),
      );
    }
    if (!current)
      throw new BallastError('BALLAST_INDEX_UNAVAILABLE', { repo: repo.name, reason: 'no index' });
    if (lastError) bus.emit('index:stale-served', { repo: repo.name, ageMs: now() - checkedAt });
    return {
      index: current.index,
      checkedAt,
      ...(lastError ? { staleBecause: lastError.code } : {}),
    };
  }

  /** Waits for the stored index, no longer than a request may wait for an upstream. */
  async function untilLoaded(signal?: AbortSignal): Promise<void> {
    const waited = AbortSignal.any([
      AbortSignal.timeout(resilience.deadlineMs),
      ...(signal ? [signal] : []),
    ]);
    const gaveUp = new Promise<never>((_resolve, reject) => {
      waited.addEventListener('abort', () => reject(waited.reason), { once: true });
    });
    await Promise.race([loading, gaveUp]).catch(() => {
      throw new BallastError('BALLAST_INDEX_UNAVAILABLE', {
        repo: repo.name,
        reason: 'the stored index is still loading',
      });
    });
  }

  async function restore(): Promise<void> {
    try {
      const restored = await keeper.restore(
        async (from: number[]) =>
          (await build(from, { lastGoodVersions: undefined, maxShrink: 1 })).served,
      );
      if (!restored) return;
      current = { index: restored.index, from: restored.from };
      checkedAt = restored.checkedAt;
      parseSoon(restored.index);
      if (restored.rebuilt || !restored.index.compressed) {
        const { index, from } = restored;
        await keeper.keep(index, from, checkedAt, () => current?.index === index);
      }
      await keeper.prune([restored.index]);
    } catch (error) {
      logger.error({ err: error }, 'stored index is unreadable; it will be fetched again');
    }
  }

  /** Rebuilds the served index from the stored upstream copies, now with every pin in it. */
  async function rebuildWithPins(): Promise<boolean> {
    const before = current;
    if (!before) return true;
    const keep = await keepOptions();
    try {
      const job = { lastGoodVersions: undefined, maxShrink: 1, ...(keep && { keep: keep.keep }) };
      const built = await build(before.from, job);
      // A refresh swapped in a newer index meanwhile, which may predate the pin.
      if (current !== before) return false;
      await swap(built.served, before.from, built.kept);
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

  return {
    upstreams,
    servePins,

    load() {
      loading ??= restore().finally(() => {
        loaded = true;
      });
      return loading;
    },

    index,
    refresh,

    status() {
      return {
        ready: current !== undefined,
        loading: loading !== undefined && !loaded,
        versions: current?.index.versions ?? 0,
        checkedAt,
        ...(lastError ? { lastError: lastError.message } : {}),
      };
    },
  };
}
