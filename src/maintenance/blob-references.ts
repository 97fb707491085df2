import { readFile } from 'node:fs/promises';
import { BallastError } from '../errors/ballast-error.ts';
import { parseFileEntry } from '../files/file-entry.ts';
import { parseIndex } from '../helm/index-parse.ts';
import { catalogueBlobs, parseCatalogue } from '../hosted/hosted-catalogue.ts';
import { unspoolStoredIndex } from '../mirror/stored-index.ts';
import { parseChartManifest } from '../oci/manifest.ts';
import { type Digest, isDigest, type Store } from '../store/store.ts';
import {
  type DocumentKindName,
  type DocumentRole,
  documentKindOf,
  documentKinds,
} from '../store/store-keys.ts';

/** What the store's documents say is in use, and the documents that hang off each chart. */
export interface BlobReferences {
  /** Blobs in use. */
  used: Set<Digest>;
  /** Documents to remove along with a chart blob that is removed, by chart digest. */
  chartDocuments: Map<Digest, string[]>;
  /** Documents read (for the report). */
  documents: number;
}

/**
 * Reads every document and collects the blobs in use: the charts every stored upstream index
 * lists (indexes of every upstream, served or not), the blobs of file-mirror entries, and the
 * OCI manifest and config of each chart in use. Stored indexes are parsed by Helm's rules with
 * the same parser that served them, so a chart the mirror can serve is never missed.
 */
export async function collectBlobReferences(store: Store): Promise<BlobReferences> {
  const keys = await store.listDocuments('');
  // The kinds of document and their roles are declared with the keys, in store-keys.ts.
  const kinds = new Map<string, DocumentKindName>();
  for (const key of keys) {
    const kind = documentKindOf(key);
    if (kind === undefined)
      throw new BallastError('BALLAST_STORE_GC_REFUSED', {
        reason: `the store holds a document this version does not know (${key}); it may name blobs that are in use`,
      });
    kinds.set(key, kind);
  }
  const used = new Set<Digest>();
  const chartDocuments = new Map<Digest, string[]>();
  for (const [key, kind] of kinds) {
    const { role } = documentKinds[kind];
    if (role === 'root') for (const digest of await rootDigests(store, key, kind)) used.add(digest);
    if (role === 'chart-manifest' || role === 'chart-document' || role === 'pointer') {
      const chart = await chartOf(store, key, role);
      if (chart) chartDocuments.set(chart, [...(chartDocuments.get(chart) ?? []), key]);
    }
  }
  // A chart in use keeps its manifests' blobs (the config; an upstream's provenance layer).
  for (const [chart, documents] of chartDocuments) {
    if (!used.has(chart)) continue;
    for (const key of documents) {
      const kind = kinds.get(key);
      if (kind === undefined || documentKinds[kind].role !== 'chart-manifest') continue;
      for (const digest of await manifestBlobs(store, key)) used.add(digest);
    }
  }
  return { used, chartDocuments, documents: keys.length };
}

async function rootDigests(store: Store, key: string, kind: DocumentKindName): Promise<Digest[]> {
  if (kind === 'fileEntry') {
    const bytes = await store.getDocument(key);
    const entry = bytes && parseFileEntry(bytes);
    if (bytes && !entry) throw refused(key, new Error('not a file entry this version reads'));
    return entry ? [entry.digest] : [];
  }
  if (kind === 'hostedCatalogue') return hostedDigests(store, key);
  if (kind === 'chartPins') {
    // Charts published without a digest, pinned on first download: in use like listed ones.
    const bytes = await store.getDocument(key);
    try {
      const pins = bytes ? (JSON.parse(bytes.toString('utf8')) as Record<string, unknown>) : {};
      return Object.values(pins)
        .map((hex) => `sha256:${hex}`)
        .filter(isDigest);
    } catch (error) {
      throw refused(key, error);
    }
  }
  const document = await store.openDocument(key);
  if (!document) return [];
  const { spooled } = await unspoolStoredIndex(document).catch((error: unknown) => {
    throw refused(key, error);
  });
  try {
    const parsed = parseIndex(await readFile(spooled.file), key);
    const digests: Digest[] = [];
    for (const versions of Object.values(parsed.index.entries)) {
      for (const entry of versions) {
        const digest = `sha256:${entry.digest?.toLowerCase()}`;
        if (isDigest(digest)) digests.push(digest);
      }
    }
    return digests;
  } catch (error) {
    throw refused(key, error);
  } finally {
    await spooled.dispose();
  }
}

/**
 * An uploaded chart's blobs: the archive, its provenance file, and the OCI manifest it was
 * pushed with together with the blobs that manifest names (its config).
 */
async function hostedDigests(store: Store, key: string): Promise<Digest[]> {
  const bytes = await store.getDocument(key);
  if (!bytes) return [];
  let catalogue: ReturnType<typeof parseCatalogue>;
  try {
    catalogue = parseCatalogue(bytes);
  } catch (error) {
    throw refused(key, error);
  }
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

/** A document that names blobs and cannot be read now: better to remove nothing. */
function refused(key: string, error: unknown): BallastError {
  const reason = error instanceof Error ? error.message : String(error);
  return new BallastError('BALLAST_STORE_GC_REFUSED', {
    reason: `cannot read ${key}: ${reason}`,
  });
}

async function chartOf(store: Store, key: string, role: DocumentRole): Promise<Digest | undefined> {
  if (role === 'pointer') {
    const chart = (await store.getDocument(key))?.toString('utf8');
    return chart !== undefined && isDigest(chart) ? chart : undefined;
  }
  const hex = key.slice(key.lastIndexOf('/') + 1, key.lastIndexOf('/') + 65);
  return `sha256:${hex}` as Digest;
}

async function manifestBlobs(store: Store, key: string): Promise<Digest[]> {
  const bytes = await store.getDocument(key);
  if (!bytes) return [];
  try {
    const manifest = parseChartManifest(bytes);
    return [manifest.config, manifest.chart, manifest.provenance]
      .filter((d) => d !== undefined)
      .map((d) => d.digest);
  } catch {
    // Not a chart manifest (it never is, as Ballast writes them): keep what it seems to name.
    const text = bytes.toString('utf8');
    return [...text.matchAll(/sha256:[0-9a-f]{64}/g)].map((m) => m[0] as Digest);
  }
}
