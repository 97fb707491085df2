import { BallastError } from '../errors/ballast-error.ts';
import type { Sha256Digest } from '../oci/digest.ts';
import { versionToTag } from '../oci/tag-version.ts';
import type { BlobInfo, Store } from '../store/store.ts';
import type { FetchedManifest, OciRegistryClient } from './oci-registry-client.ts';

export interface ChartPullRequest {
  chart: string;
  version: string;
  /**
   * The digest an index gave for this version (classic or synthesised): the chart layer must
   * have it, else nothing is downloaded (cross-protocol failover verifies against the index).
   */
  expectedDigest?: Sha256Digest;
  maxChartBytes: number;
  maxConfigBytes?: number;
  /** A signed chart's provenance file, the manifest's second layer (`limits.provSize`). */
  maxProvenanceBytes: number;
  signal?: AbortSignal;
}

export interface PulledChart {
  /** The upstream's manifest byte for byte: keep it to serve on the OCI face unchanged. */
  manifest: FetchedManifest;
  config: BlobInfo;
  chart: BlobInfo;
  /** The provenance layer, when the manifest has one (`helm push` of a signed chart). */
  provenance?: BlobInfo;
}

/**
 * Pulls one chart version from an OCI upstream into the store: the manifest of its tag
 * (`+` as `_`), then its config, chart and provenance blobs, each verified against its
 * digest. Returns the manifest bytes for the caller to keep (documents are the caller's to
 * name).
 */
export async function pullChartVersion(
  client: Pick<OciRegistryClient, 'getManifest' | 'storeBlob' | 'label'>,
  store: Store,
  request: ChartPullRequest,
): Promise<PulledChart> {
  const { chart, version, signal } = request;
  const manifest = await client.getManifest(chart, versionToTag(version), signal);
  const layer = manifest.chart.chart;
  const what = `chart ${chart}-${version}.tgz`;
  if (request.expectedDigest !== undefined && layer.digest !== request.expectedDigest)
    throw new BallastError('BALLAST_DIGEST_MISMATCH', {
      what: `${what} (per its OCI manifest)`,
      source: client.label,
      expected: request.expectedDigest,
    });
  const config = await client.storeBlob(store, chart, manifest.chart.config, {
    maxBytes: request.maxConfigBytes ?? 1024 * 1024,
    what: `config of ${what}`,
    signal,
  });
  const stored = await client.storeBlob(store, chart, layer, {
    maxBytes: request.maxChartBytes,
    what,
    signal,
  });
  const provenance = await storeProvenance(client, store, chart, manifest, {
    maxBytes: request.maxProvenanceBytes,
    what: `provenance of ${what}`,
    signal,
  });
  return { manifest, config, chart: stored, ...(provenance ? { provenance } : {}) };
}

/** The manifest's provenance layer in the store, verified; undefined for an unsigned chart. */
export async function storeProvenance(
  client: Pick<OciRegistryClient, 'storeBlob'>,
  store: Store,
  chart: string,
  manifest: FetchedManifest,
  request: { maxBytes: number; what: string; signal?: AbortSignal | undefined },
): Promise<BlobInfo | undefined> {
  const layer = manifest.chart.provenance;
  if (!layer) return undefined;
  return client.storeBlob(store, chart, layer, request);
}
