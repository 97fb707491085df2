import type { ChartMetadata } from '../helm/chart-metadata.ts';
import { canonicalJsonBytes, type JsonValue } from './canonical-json.ts';
import { type Sha256Digest, sha256Digest } from './digest.ts';
import type { Descriptor } from './manifest.ts';
import {
  annotationCreated,
  annotationDescription,
  annotationTitle,
  annotationVersion,
  helmChartLayerMediaType,
  helmConfigMediaType,
  helmProvenanceLayerMediaType,
  ociManifestMediaType,
} from './media-types.ts';

export interface ChartArtifactInput {
  /** The chart's metadata, as read from its Chart.yaml (readChartArchiveMetadata). */
  metadata: ChartMetadata;
  /** The chart archive itself, which becomes the one layer unchanged. */
  chart: { digest: Sha256Digest; size: number };
  /**
   * The `created` time of the chart's index entry, if it has one: the only time that goes in,
   * so the result depends on nothing but the chart and its entry.
   */
  created?: string;
  /** The chart's provenance file, a second layer as `helm push` sends a signed chart. */
  provenance?: { digest: Sha256Digest; size: number };
}

/** A chart as an OCI artifact: the bytes to serve and their digests. */
export interface ChartArtifact {
  mediaType: typeof ociManifestMediaType;
  manifest: Buffer;
  manifestDigest: Sha256Digest;
  config: Buffer;
  configDescriptor: Descriptor;
  chartDescriptor: Descriptor;
}

/**
 * Builds the manifest and config blob of a chart that came from a classic repository, the
 * way `helm push` lays them out but deterministically: canonical JSON (sorted keys, no
 * whitespace), no push time, so every replica after every restart gives the same bytes and
 * the same manifest digest for the same chart (and `created`).
 */
export function buildChartArtifact({
  metadata,
  chart,
  created,
  provenance,
}: ChartArtifactInput): ChartArtifact {
  const config = canonicalJsonBytes(metadata as unknown as JsonValue);
  const configDescriptor: Descriptor = {
    mediaType: helmConfigMediaType,
    digest: sha256Digest(config),
    size: config.length,
  };
  const chartDescriptor: Descriptor = {
    mediaType: helmChartLayerMediaType,
    digest: chart.digest,
    size: chart.size,
  };
  const description = typeof metadata.description === 'string' ? metadata.description : undefined;
  const validCreated = created !== undefined && !Number.isNaN(Date.parse(created));
  const manifest = canonicalJsonBytes({
    schemaVersion: 2,
    mediaType: ociManifestMediaType,
    config: { ...configDescriptor },
    layers: [
      { ...chartDescriptor },
      ...(provenance ? [{ mediaType: helmProvenanceLayerMediaType, ...provenance }] : []),
    ],
    annotations: {
      [annotationTitle]: metadata.name,
      [annotationVersion]: metadata.version,
      ...(description ? { [annotationDescription]: description } : {}),
      ...(validCreated ? { [annotationCreated]: created } : {}),
    },
  });
  return {
    mediaType: ociManifestMediaType,
    manifest,
    manifestDigest: sha256Digest(manifest),
    config,
    configDescriptor,
    chartDescriptor,
  };
}
