import type { RepoConfig } from '../config/schema.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { unsafeFileNameReason } from '../helm/chart-url.ts';
import type { Logger } from '../observability/logger.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { BlobInfo, Store } from '../store/store.ts';
import type { IndexBuildJob, IndexBuildResult } from './index-build.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { upstreamManifestKey } from './oci-manifests.ts';
import { runIndexBuild } from './run-index-build.ts';
import type { ChartSource, ServedIndex } from './served-index.ts';
import { spoolIndex } from './stored-index.ts';
import { firstSuccess, type Resilience } from './upstream-calls.ts';
import { createUpstreamIndex, type UpstreamIndex } from './upstream-index.ts';

export interface RepoMirrorOptions {
  repo: RepoConfig;
  /** One client per configured upstream, in the configured order. */
  upstreams: readonly MirrorUpstream[];
  store: Store;
  resilience: Resilience;
  logger: Logger;
  limits: { chartSize: number; provSize: number };
  now?: () => number;
  /** Where index builds run; a child process unless a test says otherwise. */
  buildIndex?: (job: IndexBuildJob) => Promise<IndexBuildResult>;
}

export interface IndexView {
  index: ServedIndex;
  /** Set when the upstreams failed at the last attempt and this is the last good copy. */
  staleBecause?: string;
  /** When an upstream last confirmed this copy (ms since the epoch). */
  checkedAt: number;
}

export interface RepoMirror {
  readonly name: string;
  /** Loads the last good index from the store, so a restart serves without the upstreams. */
  load(): Promise<void>;
  index(signal?: AbortSignal): Promise<IndexView>;
  /** Makes sure the chart is in the store (verified) and says where. */
  chart(file: string, signal?: AbortSignal): Promise<BlobInfo>;
  /** The provenance file of a chart, fetched once and kept. */
  provenance(file: string, signal?: AbortSignal): Promise<Buffer>;
  /**
   * For a chart whose index entry came from an OCI upstream: that upstream's manifest, byte
   * for byte (fetched once, then kept). Undefined for charts from classic upstreams.
   */
  upstreamManifest(file: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /** Forces one revalidation; used by `sync` and tests. */
  refresh(signal?: AbortSignal): Promise<void>;
  status(): { ready: boolean; versions: number; checkedAt: number; lastError?: string };
}

/**
 * The lifecycle of one mirrored repository: the index from the first healthy upstream (or the
 * union of all, with `merge`), freshness and the guard, and charts pulled through from the
 * upstream whose index listed them, then from the others that list the same digest.
 */
export function createRepoMirror(options: RepoMirrorOptions): RepoMirror {
  const { repo, store, resilience, limits } = options;
  const { bus } = resilience;
  const now = options.now ?? Date.now;
  const buildIndex = options.buildIndex ?? runIndexBuild;
  const logger = options.logger.child({ repo: repo.name });
  const servedKey = `repos/${repo.name}/served`;
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
    }),
  );
  const refreshFlight = createSingleFlight<void>();
  const fetchFlight = createSingleFlight<BlobInfo>();
  // Blobs are immutable once verified: remembering them saves a stat per request.
  const verified = new Map<string, BlobInfo>();
  let current: { index: ServedIndex; from: number[] } | undefined;
  let checkedAt = 0;
  let lastError: BallastError | undefined;

  function swap(index: ServedIndex, from: number[], kept: number) {
    current = { index, from };
    const labels = from.map((p) => upstreams[p]?.client.label).join(', ');
    bus.emit('index:updated', {
      repo: repo.name,
      upstream: labels,
      versions: index.versions,
      bytes: index.bytes,
    });
    if (kept > 0)
      logger.warn({ kept }, 'kept chart versions the upstream removed (guard.keepRemoved)');
    return store.putDocument(
      servedKey,
      JSON.stringify({ from: from.map((p) => upstreams[p]?.client.url), at: now() }),
    );
  }

  /** guard.keepRemoved: the current index and the files whose charts are in the store. */
  async function keepOptions(): Promise<
    { keep: IndexBuildJob['keep']; dispose(): Promise<void> } | undefined
  > {
    if (!repo.guard.keepRemoved || !current) return undefined;
    const files: NonNullable<IndexBuildJob['keep']>['files'] = [];
    for (const [file, source] of current.index.charts) {
      if (verified.has(source.digest) || (await store.statBlob(source.digest))) {
        files.push({ file, url: source.url, position: source.upstream });
      }
    }
    const { gzip } = current.index;
    const spooled = await spoolIndex(
      (async function* () {
        yield gzip;
      })(),
    );
    return { keep: { servedGzipFile: spooled.file, files }, dispose: spooled.dispose };
  }

  async function build(
    from: number[],
    job: Omit<IndexBuildJob, 'sources'>,
  ): Promise<IndexBuildResult> {
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
        `${repo.name}/index.yaml`,
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
          `${repo.name}/index.yaml`,
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
    } catch (error) {
      lastError = isBallastError(error)
        ? error
        : new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
            source: repo.name,
            reason: String(error),
          });
      bus.emit('index:refresh-failed', {
        repo: repo.name,
        upstream: '',
        code: lastError.code,
        message: lastError.message,
      });
      throw lastError;
    }
  }

  function refresh(signal?: AbortSignal): Promise<void> {
    return refreshFlight.run('index', revalidate, signal);
  }

  async function index(signal?: AbortSignal): Promise<IndexView> {
    if (!current) {
      await refresh(signal).catch((error: unknown) => {
        if (current) return;
        throw new BallastError(
          'BALLAST_INDEX_UNAVAILABLE',
          { repo: repo.name, reason: (error as Error).message },
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

  async function sourceOf(file: string, signal?: AbortSignal): Promise<ChartSource> {
    const reason = unsafeFileNameReason(file);
    if (reason)
      throw new BallastError('BALLAST_BAD_PATH', { segment: JSON.stringify(file), reason });
    const source = (await index(signal)).index.charts.get(file);
    if (!source) throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: repo.name, file });
    return source;
  }

  /**
   * Runs `work` against the upstream that listed the chart, then the others whose index lists
   * the same digest, through the resilience layer.
   */
  async function fromUpstreams<T>(
    file: string,
    source: ChartSource,
    work: (upstream: UpstreamIndex, url: string, signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    const order = [
      source.upstream,
      ...upstreams.map((u) => u.ref.position).filter((p) => p !== source.upstream),
    ];
    const { value } = await firstSuccess(
      resilience,
      order.map((p) => (upstreams[p] as UpstreamIndex).ref),
      `${repo.name}/charts/${file}`,
      async (ref, s) => {
        const upstream = upstreams[ref.position] as UpstreamIndex;
        let url = source.url;
        if (ref.position !== source.upstream) {
          const listed = [...(await upstream.charts(s)).values()].find(
            (c) => c.digest === source.digest,
          );
          if (!listed)
            throw new BallastError('BALLAST_CHART_NOT_FOUND', {
              repo: upstream.client.label,
              file,
            });
          url = listed.url;
        }
        return work(upstream, url, s);
      },
      signal,
    );
    return value;
  }

  return {
    name: repo.name,

    async load() {
      await Promise.all(
        upstreams.map((u) =>
          u
            .load()
            .catch((error: unknown) => logger.warn({ err: error }, 'unreadable upstream index')),
        ),
      );
      const pointer = await store.getDocument(servedKey);
      if (!pointer) return;
      try {
        const { from: urls, at } = JSON.parse(pointer.toString('utf8')) as {
          from: string[];
          at: number;
        };
        const from = urls
          .map((url) => upstreams.findIndex((u) => u.client.url === url))
          .filter((p) => p >= 0);
        const built = await build(from, { lastGoodVersions: undefined, maxShrink: 1 });
        current = { index: built.served, from };
        checkedAt = at;
        logger.info(
          { versions: current.index.versions, fetchedAt: new Date(at).toISOString() },
          'loaded last good index',
        );
      } catch (error) {
        logger.error({ err: error }, 'stored index is unreadable; it will be fetched again');
      }
    },

    index,
    refresh,

    async chart(file, signal) {
      const source = await sourceOf(file, signal);
      const cached = verified.get(source.digest) ?? (await store.statBlob(source.digest));
      if (cached) {
        verified.set(cached.digest, cached);
        bus.emit('cache:hit', { repo: repo.name, kind: 'chart', chart: source.name });
        return cached;
      }
      bus.emit('cache:miss', { repo: repo.name, kind: 'chart', chart: source.name });
      const fetchChart = (flightSignal: AbortSignal) =>
        fromUpstreams(
          file,
          source,
          (upstream, url, s) =>
            upstream.client.fetchChart(
              url,
              { file, digest: source.digest, maxBytes: limits.chartSize },
              s,
            ),
          flightSignal,
        );
      try {
        const blob = await fetchFlight.run(source.digest, fetchChart, signal);
        verified.set(blob.digest, blob);
        bus.emit('chart:stored', { repo: repo.name, file, digest: blob.digest, bytes: blob.size });
        return blob;
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unknown';
        bus.emit('chart:rejected', {
          repo: repo.name,
          file,
          code,
          message: (error as Error).message,
        });
        throw error;
      }
    },

    async upstreamManifest(file, signal) {
      const source = await sourceOf(file, signal);
      if (!source.url.startsWith('oci://')) return undefined;
      const key = upstreamManifestKey(source.digest);
      const kept = await store.getDocument(key);
      if (kept) return kept;
      const upstream = upstreams[source.upstream] as UpstreamIndex;
      const { value } = await firstSuccess(
        resilience,
        [upstream.ref],
        `${repo.name}/manifests/${file}`,
        async (_ref, s) => {
          if (!upstream.client.fetchManifest)
            throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: repo.name, file });
          return upstream.client.fetchManifest(source.url, s);
        },
        signal,
      );
      await store.putDocument(key, value);
      return value;
    },

    async provenance(file, signal) {
      const chartFile = file.replace(/\.prov$/, '');
      const source = await sourceOf(chartFile, signal);
      const key = `repos/${repo.name}/provenance/${source.digest.slice('sha256:'.length)}.prov`;
      const cached = await store.getDocument(key);
      if (cached) {
        bus.emit('cache:hit', { repo: repo.name, kind: 'prov' });
        return cached;
      }
      bus.emit('cache:miss', { repo: repo.name, kind: 'prov' });
      const body = await fromUpstreams(
        chartFile,
        source,
        (upstream, url, s) =>
          upstream.client.fetchSidecar(`${url}.prov`, 'provenance', limits.provSize, s),
        signal ?? new AbortController().signal,
      );
      await store.putDocument(key, body);
      return body;
    },

    status() {
      return {
        ready: current !== undefined,
        versions: current?.index.versions ?? 0,
        checkedAt,
        ...(lastError ? { lastError: lastError.message } : {}),
      };
    },
  };
}
