import { BallastError } from '../errors/ballast-error.ts';
import { provenanceUrl, unsafeFileNameReason } from '../helm/chart-url.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { BlobInfo, Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { ChartPins } from './chart-pins.ts';
import type { ChartRepo, IndexView } from './chart-repo.ts';
import type { ChartSource } from './served-index.ts';
import { firstSuccess, type Resilience } from './upstream-calls.ts';
import type { UpstreamIndex } from './upstream-index.ts';

export interface ChartPullOptions {
  repo: string;
  store: Store;
  resilience: Resilience;
  limits: { chartSize: number; provSize: number };
  /** One per configured upstream, in the configured order. */
  upstreams: readonly UpstreamIndex[];
  /** The served index, which says where each chart comes from. */
  index(signal?: AbortSignal): Promise<IndexView>;
  pins: ChartPins;
  /** A chart listed without a digest was fetched and its digest pinned. */
  pinned(): void;
}

/** What a mirrored repository serves besides its index, pulled through from its upstreams. */
export interface ChartPull extends Pick<ChartRepo, 'chart' | 'provenance' | 'upstreamManifest'> {
  /** The chart with this digest is in the store (guard.keepRemoved keeps only those). */
  isStored(digest: Digest): Promise<boolean>;
}

/**
 * Charts, provenance and OCI manifests, pulled through from the upstream whose index listed
 * them, then from the others that list the same digest; stored, verified, and served from the
 * store from then on.
 */
export function createChartPull(options: ChartPullOptions): ChartPull {
  const { repo, store, resilience, limits, upstreams, index, pins } = options;
  const { bus } = resilience;
  const fetchFlight = createSingleFlight<BlobInfo>();
  // Blobs are immutable once verified: remembering them saves a stat per request.
  const verified = new Map<string, BlobInfo>();

  async function sourceOf(file: string, signal?: AbortSignal): Promise<ChartSource> {
    const reason = unsafeFileNameReason(file);
    if (reason)
      throw new BallastError('BALLAST_BAD_PATH', { segment: JSON.stringify(file), reason });
    const source = (await index(signal)).index.charts.get(file);
    if (!source) throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo, file });
    return source;
  }

  return {
    isStored: async (digest) =>
      verified.has(digest) || (await store.statBlob(digest)) !== undefined,

    async chart(file, signal) {
      const source = await sourceOf(file, signal);
      const expected = source.digest ?? pins.get(file);
      const cached = expected && (verified.get(expected) ?? (await store.statBlob(expected)));
      if (cached) {
        verified.set(cached.digest, cached);
        bus.emit('cache:hit', { repo, kind: 'chart', chart: source.name });
        return cached;
      }
      bus.emit('cache:miss', { repo, kind: 'chart', chart: source.name });
      const fetchChart = (flightSignal: AbortSignal) =>
        fromUpstreams(
          resilience,
          upstreams,
          { repo, file, kind: 'chart', source, digest: expected },
          (upstream, url, s) =>
            upstream.client.fetchChart(
              url,
              { file, digest: expected, maxBytes: limits.chartSize },
              s,
            ),
          flightSignal,
        );
      try {
        const blob = await fetchFlight.run(expected ?? file, fetchChart, signal);
        if (!expected) {
          await pins.record(file, blob.digest);
          options.pinned();
        }
        verified.set(blob.digest, blob);
        bus.emit('chart:stored', { repo, file, digest: blob.digest, bytes: blob.size });
        return blob;
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'unknown';
        bus.emit('chart:rejected', {
          repo,
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
        { repo, kind: 'manifest', label: `${repo}/manifests/${file}` },
        async (_ref, s) => {
          if (!upstream.client.fetchManifest)
            throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo, file });
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
      const key = digest && storeKeys.provenance(repo, digest);
      const cached = key && (await store.getDocument(key));
      if (cached) {
        bus.emit('cache:hit', { repo, kind: 'prov' });
        return cached;
      }
      bus.emit('cache:miss', { repo, kind: 'prov' });
      const body = await fromUpstreams(
        resilience,
        upstreams,
        { repo, file: chartFile, kind: 'prov', source, digest: source.digest },
        (upstream, url, s) =>
          upstream.client.fetchSidecar(provenanceUrl(url), 'provenance', limits.provSize, s),
        signal ?? new AbortController().signal,
      );
      if (key) await store.putDocument(key, body);
      return body;
    },
  };
}

/** Which chart file is fetched, and from where its served index says it comes. */
interface PullRequest {
  repo: string;
  file: string;
  kind: 'chart' | 'prov';
  source: ChartSource;
  /** What another upstream's file must be listed with to count as the same bytes. */
  digest: Digest | undefined;
}

/**
 * Runs `work` against the upstream that listed the chart, then the others whose index lists
 * the same digest, through the resilience layer.
 */
async function fromUpstreams<T>(
  resilience: Resilience,
  upstreams: readonly UpstreamIndex[],
  { repo, file, kind, source, digest }: PullRequest,
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
    { repo, kind, label: `${repo}/charts/${file}${kind === 'prov' ? '.prov' : ''}` },
    async (ref, s) => {
      const upstream = upstreams[ref.position] as UpstreamIndex;
      let url = source.url;
      if (ref.position !== source.upstream) {
        // Without a digest, nothing says another upstream's file holds the same bytes.
        const listed =
          digest && [...(await upstream.charts(s)).values()].find((c) => c.digest === digest);
        if (!listed)
          throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: upstream.client.label, file });
        url = listed.url;
      }
      return work(upstream, url, s);
    },
    signal,
  );
  return value;
}
