import { createHash } from 'node:crypto';
import { BallastError } from '../errors/ballast-error.ts';
import type { Store } from '../store/store.ts';
import {
  type BundleManifest,
  type DocumentLimits,
  documentLimit,
  entryTarget,
} from './bundle-manifest.ts';
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
 * every entry against the manifest (digest, size, name, nothing missing, nothing extra, no
 * document over the limit of its kind) without writing anything; only a bundle that passes is
 * read again and committed, blobs first and the documents that point at them last, each write
 * verified again on the way. Documents stream to the store as blobs do, so memory stays flat
 * whatever the bundle holds. Importing the same bundle twice writes nothing the second time.
 */
export async function importBundle(
  store: Store,
  file: string,
  options: { checkOnly?: boolean; limits: DocumentLimits },
): Promise<ImportResult> {
  const manifest = await readBundle(file, {
    manifest(listed) {
      // Refused before a byte of the entries is read: the size comes from the manifest.
      for (const entry of listed.entries) {
        const target = entryTarget(entry);
        if (!('key' in target)) continue;
        const limit = documentLimit(target.key, options.limits);
        if (entry.size > limit.bytes)
          throw new BallastError('BALLAST_BUNDLE_ENTRY_INVALID', {
            bundle: file,
            entry: JSON.stringify(entry.name),
            reason: `has ${entry.size} bytes, more than the ${limit.bytes} a ${limit.kind} may have (${limit.setting})`,
          });
      }
    },
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
      if ((await storedDigest(store, target.key)) === entry.digest) {
        result.documentsUnchanged += 1;
        for await (const _chunk of verified) {
          // Drained and checked, as for a blob already there.
        }
        return;
      }
      await store.putDocument(target.key, verified);
      result.documentsWritten += 1;
      result.bytesAdded += entry.size;
    },
  });
  return result;
}

/** The sha256 of a stored document, read as a stream; undefined when there is none. */
async function storedDigest(store: Store, key: string): Promise<string | undefined> {
  const stream = await store.openDocument(key);
  if (!stream) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
