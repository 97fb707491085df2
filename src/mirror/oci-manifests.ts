import { Readable } from 'node:stream';
import { readChartArchiveMetadata } from '../helm/chart-archive-metadata.ts';
import { buildChartArtifact } from '../oci/chart-artifact.ts';
import { type Sha256Digest, sha256Digest } from '../oci/digest.ts';
import { ociManifestMediaType } from '../oci/media-types.ts';
import type { OciManifestContent } from '../server/routes/oci-routes.ts';
import type { BlobInfo, Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/**
 * The manifest of a chart that is in the store. A chart from an OCI upstream keeps the
 * upstream's manifest byte for byte (signatures made upstream still verify). Any other gets a
 * manifest built from the chart (and its provenance file, when a hosted version has one) with
 * no time in it, so every replica and every restart serves the same bytes and digest; its
 * config blob is stored next to it. `blobs` are the
 * digests the manifest names besides the chart: the config and, in a kept manifest, layers such
 * as the provenance file that `helm push` sends with a signed chart.
 */
export async function chartManifest(
  store: Store,
  chart: BlobInfo,
  what: string,
  upstreamManifest?: Buffer,
  provenance?: BlobInfo,
): Promise<OciManifestContent & { config: Digest; blobs: Digest[] }> {
  // The document kept per chart is of the chart alone: one with a provenance file is rebuilt
  // (a provenance file can be added to a version after its manifest was first served).
  const kept =
    upstreamManifest ??
    (provenance ? undefined : await store.getDocument(storeKeys.ociBuiltManifest(chart.digest)));
  if (kept) {
    const parsed = JSON.parse(kept.toString('utf8')) as {
      mediaType?: string;
      config?: { digest?: Digest };
      layers?: { digest?: Digest }[];
    };
    const digest = sha256Digest(kept);
    const config = parsed.config?.digest ?? digest;
    const layers = (parsed.layers ?? []).flatMap((layer) => (layer.digest ? [layer.digest] : []));
    return {
      bytes: kept,
      digest,
      mediaType: parsed.mediaType ?? ociManifestMediaType,
      config,
      blobs: [config, ...layers.filter((layer) => layer !== chart.digest)],
    };
  }
  const metadata = await readChartArchiveMetadata(await store.readBlob(chart.digest), { what });
  const artifact = buildChartArtifact({
    metadata,
    chart: { digest: chart.digest as Sha256Digest, size: chart.size },
    ...(provenance
      ? { provenance: { digest: provenance.digest as Sha256Digest, size: provenance.size } }
      : {}),
  });
  await store.putBlob(Readable.from([artifact.config]), {
    expectedDigest: artifact.configDescriptor.digest,
    maxBytes: artifact.config.length,
    what: `config of ${what}`,
    source: 'ballast',
  });
  if (!provenance)
    await store.putDocument(storeKeys.ociBuiltManifest(chart.digest), artifact.manifest);
  return {
    bytes: artifact.manifest,
    digest: artifact.manifestDigest,
    mediaType: artifact.mediaType,
    config: artifact.configDescriptor.digest,
    blobs: [artifact.configDescriptor.digest, ...(provenance ? [provenance.digest] : [])],
  };
}
