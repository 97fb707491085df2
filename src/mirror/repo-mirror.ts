import type { RepoConfig } from '../config/schema.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { unsafeFileNameReason } from '../helm/chart-url.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { BlobInfo, Store } from '../store/store.ts';
import type { ClassicRepoClient, IndexValidators } from '../upstream/classic-repo-client.ts';
import { assertChartHostAllowed } from './chart-host.ts';
import type { IndexBuildJob, IndexBuildResult } from './index-build.ts';
import { runIndexBuild } from './run-index-build.ts';
import type { ServedIndex } from './served-index.ts';
import { spoolIndex, storedIndexDocument, unspoolStoredIndex } from './stored-index.ts';

export interface RepoMirrorOptions {
  repo: RepoConfig;
  upstream: ClassicRepoClient;
  store: Store;
  bus: EventBus;
  logger: Logger;
  limits: { chartSize: number; provSize: number };
  now?: () => number;
  /** Where index builds run; a worker thread unless a test says otherwise. */
  buildIndex?: (job: IndexBuildJob) => Promise<IndexBuildResult>;
}

export interface IndexView {
  index: ServedIndex;
  /** Set when the upstream failed at the last attempt and this is the last good copy. */
  staleBecause?: string;
  /** When the upstream last confirmed this copy (ms since the epoch). */
  checkedAt: number;
}

export interface RepoMirror {
  readonly name: string;
  /** Loads the last good index from the store, so a restart serves without the upstream. */
  load(): Promise<void>;
  index(): Promise<IndexView>;
  /** Makes sure the chart is in the store (verified) and says where. */
  chart(file: string): Promise<BlobInfo>;
  /** The provenance file of a chart, fetched once and kept. */
  provenance(file: string): Promise<Buffer>;
  /** Forces one revalidation; used by `sync` and tests. */
  refresh(): Promise<void>;
  status(): { ready: boolean; versions: number; checkedAt: number; lastError?: string };
}

/** The lifecycle of one mirrored repository: index freshness and guard, chart pull-through. */
export function createRepoMirror(options: RepoMirrorOptions): RepoMirror {
  const { repo, upstream, store, bus, limits } = options;
  const now = options.now ?? Date.now;
  const buildIndex = options.buildIndex ?? runIndexBuild;
  const logger = options.logger.child({ repo: repo.name });
  const indexKey = `repos/${repo.name}/index`;
  const refreshFlight = createSingleFlight<void>();
  const fetchFlight = createSingleFlight<BlobInfo>();
  // Blobs are immutable once verified: remembering them saves a stat per request.
  const verified = new Map<string, BlobInfo>();
  let current: { index: ServedIndex; validators: IndexValidators } | undefined;
  let checkedAt = 0;
  let lastError: BallastError | undefined;

  async function revalidate(): Promise<void> {
    try {
      const result = await upstream.fetchIndex(current?.validators);
      if (result.kind === 'not-modified') {
        bus.emit('index:unchanged', { repo: repo.name, upstream: upstream.label });
      } else {
        await accept(result.body, result.validators);
      }
      checkedAt = now();
      lastError = undefined;
    } catch (error) {
      lastError = isBallastError(error)
        ? error
        : new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
            source: upstream.label,
            reason: String(error),
          });
      bus.emit('index:refresh-failed', {
        repo: repo.name,
        upstream: upstream.label,
        code: lastError.code,
        message: lastError.message,
      });
      throw lastError;
    }
  }

  async function accept(body: AsyncIterable<Buffer>, validators: IndexValidators): Promise<void> {
    const spooled = await spoolIndex(body);
    try {
      let built: IndexBuildResult;
      try {
        built = await buildIndex({
          file: spooled.file,
          upstream: upstream.url,
          upstreamLabel: upstream.label,
          lastGoodVersions: current?.index.versions,
          maxShrink: repo.guard.maxShrink,
        });
      } catch (error) {
        if (
          isBallastError(error, 'BALLAST_INDEX_INVALID') ||
          isBallastError(error, 'BALLAST_INDEX_REFUSED')
        ) {
          const reason = String(error.details.guard ?? 'invalid');
          const message = String(error.details.reason);
          bus.emit('guard:refused', { repo: repo.name, upstream: upstream.label, reason, message });
          throw new BallastError('BALLAST_INDEX_REFUSED', {
            source: upstream.label,
            reason: message,
          });
        }
        throw error;
      }
      for (const skipped of built.skipped)
        bus.emit('index:entry-skipped', { repo: repo.name, ...skipped });
      const meta = { format: 2 as const, fetchedAt: now(), upstream: upstream.url, validators };
      await store.putDocument(indexKey, storedIndexDocument(meta, spooled));
      current = { index: built.served, validators };
      bus.emit('index:updated', {
        repo: repo.name,
        upstream: upstream.label,
        versions: built.served.versions,
        bytes: built.served.body.length,
      });
    } finally {
      await spooled.dispose();
    }
  }

  function refresh(): Promise<void> {
    return refreshFlight.run('index', revalidate);
  }

  async function index(): Promise<IndexView> {
    if (!current) {
      await refresh().catch((error: unknown) => {
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

  async function sourceOf(file: string) {
    const reason = unsafeFileNameReason(file);
    if (reason)
      throw new BallastError('BALLAST_BAD_PATH', { segment: JSON.stringify(file), reason });
    const source = (await index()).index.charts.get(file);
    if (!source) throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: repo.name, file });
    return source;
  }

  return {
    name: repo.name,

    async load() {
      const document = await store.openDocument(indexKey);
      if (!document) return;
      try {
        const { meta, spooled } = await unspoolStoredIndex(document);
        const built = await buildIndex({
          file: spooled.file,
          upstream: meta.upstream,
          upstreamLabel: upstream.label,
          lastGoodVersions: undefined,
          maxShrink: 1,
        }).finally(() => spooled.dispose());
        current = { index: built.served, validators: meta.validators };
        checkedAt = meta.fetchedAt;
        logger.info(
          { versions: current.index.versions, fetchedAt: new Date(meta.fetchedAt).toISOString() },
          'loaded last good index',
        );
      } catch (error) {
        logger.error({ err: error }, 'stored index is unreadable; it will be fetched again');
      }
    },

    index,
    refresh,

    async chart(file) {
      const source = await sourceOf(file);
      const cached = verified.get(source.digest) ?? (await store.statBlob(source.digest));
      if (cached) {
        verified.set(cached.digest, cached);
        bus.emit('cache:hit', { repo: repo.name, kind: 'chart' });
        return cached;
      }
      bus.emit('cache:miss', { repo: repo.name, kind: 'chart' });
      return fetchFlight.run(source.digest, async () => {
        assertChartHostAllowed(source.url, repo.upstreams);
        try {
          const body = await upstream.openFile(source.url, 'chart', limits.chartSize);
          const blob = await store.putBlob(body, {
            expectedDigest: source.digest,
            maxBytes: limits.chartSize,
            what: `chart ${file}`,
            source: upstream.label,
          });
          bus.emit('chart:stored', {
            repo: repo.name,
            file,
            digest: blob.digest,
            bytes: blob.size,
          });
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
      });
    },

    async provenance(file) {
      const chartFile = file.replace(/\.prov$/, '');
      const source = await sourceOf(chartFile);
      const key = `repos/${repo.name}/provenance/${source.digest.slice('sha256:'.length)}.prov`;
      const cached = await store.getDocument(key);
      if (cached) {
        bus.emit('cache:hit', { repo: repo.name, kind: 'prov' });
        return cached;
      }
      bus.emit('cache:miss', { repo: repo.name, kind: 'prov' });
      const url = `${source.url}.prov`;
      assertChartHostAllowed(url, repo.upstreams);
      const chunks: Buffer[] = [];
      for await (const chunk of await upstream.openFile(url, 'provenance', limits.provSize))
        chunks.push(chunk);
      const body = Buffer.concat(chunks);
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
