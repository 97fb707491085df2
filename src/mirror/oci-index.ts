import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { chartFileName } from '../helm/chart-url.ts';
import { isValidChartVersion, newestFirst } from '../helm/chart-version.ts';
import { skipReason } from '../helm/chart-version-rules.ts';
import type { ChartVersion, HelmIndex, SkippedEntry } from '../helm/index-parse.ts';
import { digestHex, type Sha256Digest } from '../oci/digest.ts';
import { annotationCreated } from '../oci/media-types.ts';
import { tagToVersion } from '../oci/tag-version.ts';
import type { OciRegistryClient } from '../upstream/oci-registry-client.ts';

/** Where an entry of an index built from OCI lives in the registry. */
export interface OciEntrySource {
  chart: string;
  tag: string;
  /** `oci://registry/namespace/chart:tag`, also the entry's `urls[0]`. */
  url: string;
  manifestDigest: Sha256Digest;
  /** The chart layer: the `.tgz` itself (its hex is the entry's `digest`). */
  chartDigest: Sha256Digest;
  chartSize: number;
}

export interface OciIndexBuild {
  index: HelmIndex;
  /** Versions Helm would skip or that are broken upstream, with why; the caller logs them. */
  skipped: SkippedEntry[];
  versions: number;
  /** Tags that are not chart versions (`latest`, signature tags…), left out quietly. */
  ignoredTags: number;
  /** By chart file name (`demo-1.0.0+build.7.tgz`), as the classic face asks for charts. */
  sources: Map<string, OciEntrySource>;
}

export interface OciIndexOptions {
  client: Pick<OciRegistryClient, 'label' | 'listTags' | 'getManifest' | 'getConfig' | 'chartUrl'>;
  /** The chart names to look up (`repos[].charts`): a registry cannot list a namespace. */
  charts: readonly string[];
  /** The previous build: a tag whose manifest digest is unchanged reuses its entry. */
  previous?: OciIndexBuild;
  /** Manifests and configs fetched at once. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Problems of one version that skip it; anything else (network, 5xx, auth) fails the build. */
const skippable = new Set([
  'BALLAST_OCI_MANIFEST_INVALID',
  'BALLAST_OCI_CONFIG_INVALID',
  'BALLAST_DIGEST_MISMATCH',
  'BALLAST_BODY_TOO_LARGE',
  'BALLAST_OCI_REFERENCE_INVALID',
]);

/**
 * Synthesises a Helm index from an OCI upstream: the tags of each named chart (tags that are
 * not semver are ignored, `_` maps back to `+`), each version's metadata from its config blob
 * and `created` from the manifest's `org.opencontainers.image.created`; `digest` is the chart
 * layer's sha256 hex and `urls[0]` the `oci://…:tag` it came from. A version whose manifest or
 * config is broken is skipped with a reason; a registry that fails (timeouts, 5xx, auth)
 * fails the whole build, so a partial index never replaces a good one.
 */
export async function buildOciIndex(options: OciIndexOptions): Promise<OciIndexBuild> {
  const { client, signal } = options;
  const skipped: SkippedEntry[] = [];
  let ignoredTags = 0;
  const jobs: { chart: string; tag: string; version: string }[] = [];
  for (const chart of options.charts) {
    let tags: string[];
    try {
      tags = await client.listTags(chart, signal);
    } catch (error) {
      if (isBallastError(error, 'BALLAST_UPSTREAM_STATUS') && error.details.statusCode === 404) {
        skipped.push({ chart, version: '', reason: `${client.label} has no repository ${chart}` });
        continue;
      }
      throw error;
    }
    for (const tag of tags) {
      const version = tagToVersion(tag);
      if (isValidChartVersion(version)) jobs.push({ chart, tag, version });
      else ignoredTags += 1;
    }
  }

  const previous = new Map<string, { source: OciEntrySource; entry: ChartVersion }>();
  for (const [file, source] of options.previous?.sources ?? []) {
    const entry = options.previous?.index.entries[source.chart]?.find(
      (candidate) => chartFileName(candidate.name, candidate.version) === file,
    );
    if (entry) previous.set(`${source.chart}:${source.tag}`, { source, entry });
  }

  const built: { entry: ChartVersion; source: OciEntrySource }[] = [];
  await eachBounded(jobs, options.concurrency ?? 4, async ({ chart, tag, version }) => {
    try {
      const manifest = await client.getManifest(chart, tag, signal);
      const known = previous.get(`${chart}:${tag}`);
      if (known && known.source.manifestDigest === manifest.digest) {
        built.push(known);
        return;
      }
      const metadata = await client.getConfig(chart, manifest.chart.config, signal);
      const problem =
        metadata.name !== chart
          ? `the config names chart ${metadata.name}, not ${chart}`
          : metadata.version !== version
            ? `the config says version ${metadata.version}, the tag ${tag}`
            : undefined;
      if (problem)
        throw new BallastError('BALLAST_OCI_CONFIG_INVALID', {
          digest: manifest.chart.config.digest,
          source: client.label,
          reason: problem,
        });
      const url = client.chartUrl(chart, tag);
      const layer = manifest.chart.chart;
      const created = manifest.chart.annotations[annotationCreated];
      const entry: ChartVersion = {
        ...metadata,
        urls: [url],
        digest: digestHex(layer.digest),
        ...(created && !Number.isNaN(Date.parse(created)) ? { created } : {}),
      };
      const reason = skipReason(entry);
      if (reason) {
        skipped.push({ chart, version, reason });
        return;
      }
      built.push({
        entry,
        source: {
          chart,
          tag,
          url,
          manifestDigest: manifest.digest,
          chartDigest: layer.digest,
          chartSize: layer.size,
        },
      });
    } catch (error) {
      if (isBallastError(error) && skippable.has(error.code)) {
        skipped.push({ chart, version, reason: error.message });
        return;
      }
      if (isBallastError(error, 'BALLAST_UPSTREAM_STATUS') && error.details.statusCode === 404) {
        skipped.push({ chart, version, reason: `tag ${tag} vanished while the index was built` });
        return;
      }
      throw error;
    }
  });

  const entries: Record<string, ChartVersion[]> = {};
  const sources = new Map<string, OciEntrySource>();
  for (const { entry, source } of built) {
    const file = chartFileName(entry.name, entry.version);
    // Tags map to versions one to one and configs must agree; this only guards the map.
    if (sources.has(file)) continue;
    sources.set(file, source);
    const list = entries[entry.name] ?? [];
    list.push(entry);
    entries[entry.name] = list;
  }
  for (const list of Object.values(entries))
    list.sort((a, b) => compareVersionsDescending(a.version, b.version));
  return {
    index: { apiVersion: 'v1', entries },
    skipped,
    versions: sources.size,
    ignoredTags,
    sources,
  };
}

async function eachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
}

/** Newest first, as Helm sorts an index; equal precedence (`1.2` and `1.2.0`) by text. */
function compareVersionsDescending(a: string, b: string): number {
  return newestFirst(a, b) || (a < b ? 1 : a > b ? -1 : 0);
}
