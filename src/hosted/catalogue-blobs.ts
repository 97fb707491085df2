import type { Digest, Store } from '../store/store.ts';
import { catalogueBlobs, parseCatalogue } from './hosted-catalogue.ts';

/**
 * Every blob a stored hosted catalogue keeps in use: the archives, provenance files and pushed
 * manifests it names, and the blobs those manifests name (their config). What gc keeps and an
 * export carries. Throws when the catalogue cannot be read.
 */
export async function storedCatalogueBlobs(store: Store, key: string): Promise<Digest[]> {
  const bytes = await store.getDocument(key);
  if (!bytes) return [];
  const catalogue = parseCatalogue(bytes);
  const digests = catalogueBlobs(catalogue);
  for (const { versions } of catalogue.charts.values()) {
    for (const { manifest } of versions) {
      if (!manifest || !(await store.statBlob(manifest.digest))) continue;
      const text = Buffer.concat(await (await store.readBlob(manifest.digest)).toArray());
      for (const [digest] of text.toString('utf8').matchAll(/sha256:[0-9a-f]{64}/g))
        digests.push(digest as Digest);
    }
  }
  return digests;
}
