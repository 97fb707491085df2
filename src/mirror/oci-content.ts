import { isSha256Digest } from '../oci/digest.ts';
import { tagToVersion, versionToTag } from '../oci/tag-version.ts';
import type { OciContentSource } from '../server/routes/oci-routes.ts';
import type { Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { ChartRepo } from './chart-repo.ts';
import { chartManifest } from './oci-manifests.ts';
import type { ChartSource } from './served-index.ts';

/**
 * Every repository on the OCI face, mirrored from whatever protocol: `oci://host/{repo}/{chart}`
 * with one tag per chart version of the served index (`+` as `_`). Charts are pulled through
 * on first use, exactly as the classic face does.
 */
export function createMirrorOciContent(
  mirrors: ReadonlyMap<string, ChartRepo>,
  store: Store,
): OciContentSource {
  const versionsOf = async (repo: string, chart: string, signal: AbortSignal) => {
    const mirror = mirrors.get(repo);
    if (!mirror) return undefined;
    const found = new Map<string, { file: string; source: ChartSource }>();
    for (const [file, source] of (await mirror.index(signal)).index.charts) {
      if (source.name === chart) found.set(source.version, { file, source });
    }
    return found.size === 0 ? undefined : { mirror, found };
  };

  // Manifests are small and immutable per chart digest: kept in memory once built or read.
  const manifests = new Map<
    string,
    Awaited<ReturnType<typeof chartManifest>> & { chart: Digest }
  >();
  const manifestOf = async (
    mirror: ChartRepo,
    { file, source }: { file: string; source: ChartSource },
    signal: AbortSignal,
  ) => {
    const chart = await mirror.chart(file, signal);
    // By repo as well: one chart can come from an OCI upstream in one repo and not in another;
    // and by provenance file, which a hosted version may get after its first pull.
    const key = `${mirror.name} ${chart.digest} ${source.provenance ?? ''}`;
    const known = manifests.get(key);
    if (known) return known;
    const upstream = await mirror.upstreamManifest(file, signal);
    const provenance =
      !upstream && source.provenance ? await store.statBlob(source.provenance) : undefined;
    const manifest = await chartManifest(
      store,
      chart,
      `${mirror.name}/${file}`,
      upstream,
      provenance,
    );
    await store.putDocument(storeKeys.ociManifestChart(manifest.digest), chart.digest);
    const entry = { ...manifest, chart: chart.digest };
    if (manifests.size >= 10_000) manifests.delete(manifests.keys().next().value as string);
    manifests.set(key, entry);
    return entry;
  };

  return {
    async catalog(signal) {
      const names = new Set<string>();
      for (const mirror of mirrors.values()) {
        const view = await mirror.index(signal).catch(() => undefined);
        for (const source of view?.index.charts.values() ?? [])
          names.add(`${mirror.name}/${source.name}`);
      }
      return [...names];
    },

    async tags(repo, chart, signal) {
      const versions = await versionsOf(repo, chart, signal);
      return versions && [...versions.found.keys()].map(versionToTag);
    },

    async manifest(repo, chart, reference, signal) {
      const versions = await versionsOf(repo, chart, signal);
      if (!versions) return undefined;
      if (!isSha256Digest(reference)) {
        const entry = versions.found.get(tagToVersion(reference));
        return entry && manifestOf(versions.mirror, entry, signal);
      }
      const chartDigest = (
        await store.getDocument(storeKeys.ociManifestChart(reference))
      )?.toString('utf8');
      if (chartDigest === undefined) return undefined;
      const entry = [...versions.found.values()].find((e) => e.source.digest === chartDigest);
      if (!entry) return undefined;
      const manifest = await manifestOf(versions.mirror, entry, signal);
      return manifest.digest === reference ? manifest : undefined;
    },

    async blob(repo, chart, digest, signal) {
      const versions = await versionsOf(repo, chart, signal);
      if (!versions) return undefined;
      const layer = [...versions.found.values()].find((e) => e.source.digest === digest);
      if (layer) return versions.mirror.chart(layer.file, signal);
      // A config or provenance blob: only one that a manifest of this chart names.
      for (const entry of versions.found.values()) {
        const { digest: chartDigest } = entry.source;
        if (!chartDigest || !(await store.statBlob(chartDigest))) continue;
        const manifest = await manifestOf(versions.mirror, entry, signal);
        if (manifest.blobs.includes(digest as Digest)) return store.statBlob(digest as Digest);
      }
      return undefined;
    },
  };
}
