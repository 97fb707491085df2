import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readChartArchiveMetadata } from '../../src/helm/chart-archive-metadata.ts';
import { buildChartArtifact, type ChartArtifact } from '../../src/oci/chart-artifact.ts';
import { isSha256Digest } from '../../src/oci/digest.ts';
import { versionToTag } from '../../src/oci/tag-version.ts';
import type { OciContentSource } from '../../src/server/routes/oci-routes.ts';
import type { Store } from '../../src/store/store.ts';
import type { OciRegistryClient } from '../../src/upstream/oci-registry-client.ts';
import { createHelm } from './helm.ts';

const maxChartBytes = 16 * 1024 * 1024;

/**
 * An OciContentSource for tests of the OCI face: the given chart archives (as a classic
 * upstream would hand them over), kept in a real Store, each served as the deterministic
 * manifest Ballast builds for charts that came from a classic repository.
 */
export async function createClassicChartSource(
  store: Store,
  repo: string,
  archives: readonly { path: string; created?: string }[],
): Promise<OciContentSource & { artifacts: Map<string, ChartArtifact> }> {
  const charts = new Map<string, Map<string, ChartArtifact>>();
  const artifacts = new Map<string, ChartArtifact>();
  for (const { path, created } of archives) {
    const bytes = await readFile(path);
    const chart = await store.putBlob(Readable.from([bytes]), {
      maxBytes: maxChartBytes,
      what: path,
      source: 'test',
    });
    // Read back from the store, as the mirror will: a stream, bounded and checked.
    const metadata = await readChartArchiveMetadata(await store.readBlob(chart.digest), {
      what: path,
    });
    const artifact = buildChartArtifact({ metadata, chart, ...(created ? { created } : {}) });
    await store.putBlob(Readable.from([artifact.config]), {
      expectedDigest: artifact.configDescriptor.digest,
      maxBytes: 1024 * 1024,
      what: 'config',
      source: 'test',
    });
    const tags = charts.get(metadata.name) ?? new Map<string, ChartArtifact>();
    tags.set(versionToTag(metadata.version), artifact);
    charts.set(metadata.name, tags);
    artifacts.set(`${metadata.name}:${versionToTag(metadata.version)}`, artifact);
  }
  const find = (chart: string, reference: string) => {
    const tags = charts.get(chart);
    if (!tags) return undefined;
    if (!isSha256Digest(reference)) return tags.get(reference);
    return [...tags.values()].find((artifact) => artifact.manifestDigest === reference);
  };
  return {
    artifacts,
    async catalog() {
      return [...charts.keys()].map((chart) => `${repo}/${chart}`);
    },
    async tags(r, chart) {
      const tags = r === repo ? charts.get(chart) : undefined;
      return tags && [...tags.keys()];
    },
    async manifest(r, chart, reference) {
      const artifact = r === repo ? find(chart, reference) : undefined;
      return (
        artifact && {
          bytes: artifact.manifest,
          digest: artifact.manifestDigest,
          mediaType: artifact.mediaType,
        }
      );
    },
    async blob(r, chart, digest) {
      if (r !== repo) return undefined;
      const known = [...(charts.get(chart)?.values() ?? [])].some(
        (a) => a.configDescriptor.digest === digest || a.chartDescriptor.digest === digest,
      );
      return known ? store.statBlob(digest) : undefined;
    },
  };
}

/**
 * An OciContentSource that pulls through from an OCI upstream: manifests byte for byte as the
 * registry sent them (verified), blobs verified into the Store on first use.
 */
export function createPullThroughSource(
  store: Store,
  repo: string,
  client: OciRegistryClient,
  charts: readonly string[],
): OciContentSource {
  const served = (r: string, chart: string) => r === repo && charts.includes(chart);
  return {
    async catalog() {
      return charts.map((chart) => `${repo}/${chart}`);
    },
    async tags(r, chart, signal) {
      return served(r, chart) ? client.listTags(chart, signal) : undefined;
    },
    async manifest(r, chart, reference, signal) {
      if (!served(r, chart)) return undefined;
      const { bytes, digest, mediaType } = await client.getManifest(chart, reference, signal);
      return { bytes, digest, mediaType };
    },
    async blob(r, chart, digest, signal) {
      if (!served(r, chart)) return undefined;
      return client.storeBlob(
        store,
        chart,
        { digest },
        { maxBytes: maxChartBytes, what: `blob ${digest}`, signal },
      );
    },
  };
}

/** Pushes chart archives into a registry namespace with real `helm push`, alternating Helm 3 and 4. */
export async function helmPushAll(
  registryHost: string,
  namespace: string,
  archives: readonly string[],
): Promise<void> {
  await using helm3 = await createHelm(3);
  await using helm4 = await createHelm(4);
  const target = `oci://${registryHost}/${namespace}`;
  for (const [i, path] of archives.entries()) {
    const helm = i % 2 === 0 ? helm3 : helm4;
    await helm.run(['push', path, target, '--plain-http']);
  }
}
