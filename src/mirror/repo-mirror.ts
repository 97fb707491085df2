import type { RepoConfig } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { provenanceUrl, unsafeFileNameReason } from '../helm/chart-url.ts';
import type { Logger } from '../observability/logger.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { BlobInfo, Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { createChartPins } from './chart-pins.ts';
import type { ChartRepo } from './chart-repo.ts';
import type { IndexBuildJob, IndexBuildResult } from './index-build.ts';
import { checkView } from './index-view.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { createRepoIndex } from './repo-index.ts';
import { runIndexBuild } from './run-index-build.ts';
import type { ChartSource } from './served-index.ts';
import { firstSuccess, type Resilience } from './upstream-calls.ts';
import type { UpstreamIndex } from './upstream-index.ts';

export type { IndexView } from './repo-index.ts';

export interface RepoMirrorOptions {
  repo: RepoConfig;
  /** One client per configured upstream, in the configured order. */
  upstreams: readonly MirrorUpstream[];
  store: Store;
  resilience: Resilience;
  logger: Logger;
  limits: { chartSize: number; provSize: number };
  now?: () => number;
  /** Set when replicas share the store: this one's name in refresh leases. */
  replica?: string;
  /** Where index builds run; a child process unless a test says otherwise. */
  buildIndex?: (job: IndexBuildJob) => Promise<IndexBuildResult>;
}

/** A mirrored repository: a ChartRepo whose charts come from its upstreams. */
export type RepoMirror = ChartRepo;

/**
 * One mirrored repository behind a small façade: its index lifecycle (repo-index.ts), and
 * charts, provenance and OCI manifests pulled through from the upstream whose index listed
 * them, then from the others that list the same digest.
 */
export function createRepoMirror(options: RepoMirrorOptions): RepoMirror {
  const { repo, store, resilience, limits } = options;
  const { bus } = resilience;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ repo: repo.name });
  const fetchFlight = createSingleFlight<BlobInfo>();
  // Blobs are immutable once verified: remembering them saves a stat per request.
  const verified = new Map<string, BlobInfo>();
  const pins = createChartPins({ repo: repo.name, store, bus });
  const runBuild = options.buildIndex ?? runIndexBuild;
  const lifecycle = createRepoIndex({
    repo,
    upstreams: options.upstreams,
    store,
    resilience,
    logger,
    now,
    // Every build applies the repository's digest policy and the digests pinned so far.
    runBuild: (job) => runBuild({ ...job, unverified: repo.unverified, pins: pins.all() }),
    isChartStored: async (digest) =>
      verified.has(digest) || (await store.statBlob(digest)) !== undefined,
    ...(options.replica ? { replica: options.replica } : {}),
  });
  const { upstreams, index } = lifecycle;

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
    kind: 'chart' | 'prov',
    source: ChartSource,
    work: (upstream: UpstreamIndex, url: string, signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    digest: Digest | undefined = source.digest,
  ): Promise<T> {
    const order = [
      source.upstream,
      ...upstreams.map((u) => u.ref.position).filter((p) => p !== source.upstream),
    ];
    const { value } = await firstSuccess(
      resilience,
      order.map((p) => (upstreams[p] as UpstreamIndex).ref),
      {
        repo: repo.name,
        kind,
        label: `${repo.name}/charts/${file}${kind === 'prov' ? '.prov' : ''}`,
      },
      async (ref, s) => {
        const upstream = upstreams[ref.position] as UpstreamIndex;
        let url = source.url;
        if (ref.position !== source.upstream) {
          // Without a digest, nothing says another upstream's file holds the same bytes.
          const listed =
            digest && [...(await upstream.charts(s)).values()].find((c) => c.digest === digest);
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
    views: new Map(repo.views.map(({ name, ...view }) => [name, checkView(view)])),

    async load() {
      await pins
        .load()
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'unreadable pins: digest-less charts are pinned afresh'),
        );
      await lifecycle.load();
    },
    index,
    refresh: lifecycle.refresh,
    status: () => ({
      ...lifecycle.status(),
      ...(repo.unverified === 'pin' ? { pinned: pins.size } : {}),
    }),

    async chart(file, signal) {
      const source = await sourceOf(file, signal);
      const expected = source.digest ?? pins.get(file);
      const cached = expected && (verified.get(expected) ?? (await store.statBlob(expected)));
      if (cached) {
        verified.set(cached.digest, cached);
        bus.emit('cache:hit', { repo: repo.name, kind: 'chart', chart: source.name });
        return cached;
      }
      bus.emit('cache:miss', { repo: repo.name, kind: 'chart', chart: source.name });
      const fetchChart = (flightSignal: AbortSignal) =>
        fromUpstreams(
          file,
          'chart',
          source,
          (upstream, url, s) =>
            upstream.client.fetchChart(
              url,
              { file, digest: expected, maxBytes: limits.chartSize },
              s,
            ),
          flightSignal,
          expected,
        );
      try {
        const blob = await fetchFlight.run(expected ?? file, fetchChart, signal);
        if (!expected) {
          await pins.record(file, blob.digest);
          void lifecycle.servePins(() => pins.size);
        }
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
      if (!source.url.startsWith('oci://') || !source.digest) return undefined;
      const key = storeKeys.ociUpstreamManifest(source.digest);
      const kept = await store.getDocument(key);
      if (kept) return kept;
      const upstream = upstreams[source.upstream] as UpstreamIndex;
      const { value } = await firstSuccess(
        resilience,
        [upstream.ref],
        { repo: repo.name, kind: 'manifest', label: `${repo.name}/manifests/${file}` },
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
      const digest = source.digest ?? pins.get(chartFile);
      // Without a digest the chart's bytes are not known yet: the file is passed through.
      const key = digest && storeKeys.provenance(repo.name, digest);
      const cached = key && (await store.getDocument(key));
      if (cached) {
        bus.emit('cache:hit', { repo: repo.name, kind: 'prov' });
        return cached;
      }
      bus.emit('cache:miss', { repo: repo.name, kind: 'prov' });
      const body = await fromUpstreams(
        chartFile,
        'prov',
        source,
        (upstream, url, s) =>
          upstream.client.fetchSidecar(provenanceUrl(url), 'provenance', limits.provSize, s),
        signal ?? new AbortController().signal,
      );
      if (key) await store.putDocument(key, body);
      return body;
    },
  };
}
