import type { Mirrors } from '../app/create-mirrors.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { storedCatalogueBlobs } from '../hosted/catalogue-blobs.ts';
import type { Digest } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/** What goes into a bundle: store documents by key and blobs by digest. */
export interface BundleContent {
  documents: string[];
  blobs: Digest[];
  /** Charts or files the index lists whose bytes are not in the store (never fetched). */
  skipped: { source: string; name: string }[];
}

/**
 * The store's content for the chosen repositories and file mirrors: each repository's
 * documents (its upstreams' last good indexes, which upstream is served, provenance files),
 * the charts its index lists that are in the store, their OCI manifests and config blobs;
 * each file mirror's entries and their bytes. Only what is stored goes in: `sync` first.
 */
export async function collectBundle(
  mirrors: Mirrors,
  choice: { repos: readonly string[]; files: readonly string[] },
  signal?: AbortSignal,
): Promise<BundleContent> {
  const { store } = mirrors;
  const documents = new Set<string>();
  const blobs = new Set<Digest>();
  const skipped: BundleContent['skipped'] = [];
  const charts = new Set<string>();

  for (const name of choice.repos) {
    const mirror = mirrors.repos.get(name);
    if (!mirror) throw new BallastError('BALLAST_REPO_NOT_FOUND', { repo: name });
    if (!mirror.status().ready)
      throw new BallastError('BALLAST_EXPORT_FAILED', {
        reason: `repository ${name} has no index in the store; run ballast sync --repo ${name} first`,
      });
    for (const key of await store.listDocuments(storeKeys.repo(name))) documents.add(key);
    // A hosted repository's provenance files and pushed manifests are blobs its catalogue names.
    if (documents.has(storeKeys.hostedCatalogue(name)))
      for (const digest of await storedCatalogueBlobs(store, storeKeys.hostedCatalogue(name)))
        if (await store.statBlob(digest)) blobs.add(digest);
    const { index } = await mirror.index(signal);
    for (const [file, { digest }] of index.charts) {
      if (!digest || !(await store.statBlob(digest))) {
        skipped.push({ source: name, name: file });
        continue;
      }
      blobs.add(digest);
      charts.add(digest);
      const manifest = await store.getDocument(storeKeys.ociUpstreamManifest(digest));
      if (!manifest) continue;
      documents.add(storeKeys.ociUpstreamManifest(digest));
      const config = configDigestOf(manifest);
      if (config && (await store.statBlob(config))) blobs.add(config);
    }
  }
  if (charts.size > 0) {
    // Manifest digest → chart: lets clients that pull by digest find the chart after import.
    for (const key of await store.listDocuments(storeKeys.ociManifestCharts)) {
      const chart = (await store.getDocument(key))?.toString('utf8');
      if (chart && charts.has(chart) && key === manifestChartKeyOf(key)) documents.add(key);
    }
  }

  for (const name of choice.files) {
    const mirror = mirrors.files.get(name);
    if (!mirror) throw new BallastError('BALLAST_FILE_MIRROR_NOT_FOUND', { mirror: name });
    for (const entry of await mirror.entries()) {
      if (!(await store.statBlob(entry.digest))) {
        skipped.push({ source: name, name: entry.path });
        continue;
      }
      documents.add(storeKeys.fileEntry(name, entry.path));
      blobs.add(entry.digest);
    }
  }
  return { documents: [...documents].sort(byCommitOrder), blobs: [...blobs].sort(), skipped };
}

/** Pointers to other documents (which upstream is served) go last, after what they point at. */
function byCommitOrder(a: string, b: string): number {
  const late = (key: string) => (storeKeys.isServedIndex(key) ? 1 : 0);
  return late(a) - late(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function configDigestOf(manifest: Buffer): Digest | undefined {
  try {
    const digest = (JSON.parse(manifest.toString('utf8')) as { config?: { digest?: string } })
      .config?.digest;
    return typeof digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(digest)
      ? (digest as Digest)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Only keys in the exact form Ballast writes. */
function manifestChartKeyOf(key: string): string {
  return storeKeys.ociManifestChart(`sha256:${key.slice(key.lastIndexOf('/') + 1)}`);
}
