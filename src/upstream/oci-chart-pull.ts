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
  signal?: AbortSignal;
}

export interface PulledChart {
  /** The upstream's manifest byte for byte: keep it to serve on the OCI face unchanged. */
  manifest: FetchedManifest;
  config: BlobInfo;
  chart: BlobInfo;
}

/**
 * Pulls one chart version from an OCI upstream into the store: the manifest of its tag
 * (`+` as `_`), then its config and chart blobs, each verified against its digest. Returns
 * the manifest bytes for the caller to keep (documents are the caller's to name).
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
  return { manifest, config, chart: stored };
}
