import { BallastError } from '../errors/ballast-error.ts';
import type { Store } from '../store/store.ts';
import { type BundleManifest, entryTarget } from './bundle-manifest.ts';
import { readBundle } from './read-bundle.ts';

export interface ImportResult {
  manifest: BundleManifest;
  /** Blobs written; the others were in the store already. */
  blobsAdded: number;
  blobsPresent: number;
  /** Documents written (new or different); the others were identical already. */
  documentsWritten: number;
  documentsUnchanged: number;
  bytesAdded: number;
}

/**
 * Loads a bundle into a store, all or nothing: a first pass reads the whole bundle and checks
 * every entry against the manifest (digest, size, name, nothing missing, nothing extra) without
 * writing anything; only a bundle that passes is read again and committed, blobs first and the
 * documents that point at them last, each write verified again on the way. Importing the same
 * bundle twice writes nothing the second time.
 */
export async function importBundle(
  store: Store,
  file: string,
  options: { checkOnly?: boolean } = {},
): Promise<ImportResult> {
  const manifest = await readBundle(file, {
    async entry(_entry, verified) {
      for await (const _chunk of verified) {
        // Reading to the end is the check: `verified` throws on a mismatch.
      }
    },
  });
  const result: ImportResult = {
    manifest,
    blobsAdded: 0,
    blobsPresent: 0,
    documentsWritten: 0,
    documentsUnchanged: 0,
    bytesAdded: 0,
  };
  if (options.checkOnly) return result;

  await readBundle(file, {
    manifest(again) {
      // The file changed between the two passes: refuse rather than commit something unchecked.
      if (JSON.stringify(again) !== JSON.stringify(manifest))
        throw new BallastError('BALLAST_BUNDLE_INVALID', {
          bundle: file,
          reason: 'the bundle changed while it was imported',
        });
    },
    async entry(entry, verified) {
      const target = entryTarget(entry);
      if ('problem' in target) throw new Error(target.problem); // parseManifest refused these
      if (target.kind === 'blob') {
        if (await store.statBlob(target.digest)) {
          result.blobsPresent += 1;
          for await (const _chunk of verified) {
            // Drained and checked all the same, so the pass stays in step with the archive.
          }
          return;
        }
        await store.putBlob(verified, {
          expectedDigest: target.digest,
          maxBytes: entry.size,
          what: `bundle entry ${entry.name}`,
          source: file,
        });
        result.blobsAdded += 1;
        result.bytesAdded += entry.size;
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of verified) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      const current = await store.getDocument(target.key);
      if (current?.equals(bytes)) {
        result.documentsUnchanged += 1;
        return;
      }
      await store.putDocument(target.key, bytes);
      result.documentsWritten += 1;
      result.bytesAdded += entry.size;
    },
  });
  return result;
}
