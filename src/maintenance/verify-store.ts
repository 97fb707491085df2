import { createHash } from 'node:crypto';
import { isBallastError } from '../errors/ballast-error.ts';
import type { BlobInfo, Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

export interface DamagedBlob {
  digest: Digest;
  size: number;
  /** What the bytes hash to now, or why they could not be read. */
  actual?: Digest;
  error?: string;
  quarantined: boolean;
}

export interface VerifyReport {
  blobs: number;
  bytes: number;
  damaged: DamagedBlob[];
}

export interface VerifyOptions {
  /** Move each damaged blob's bytes to `quarantine/<hex>` and remove the blob. */
  quarantine: boolean;
  signal?: AbortSignal;
  /** Blobs read at once; default 4. */
  concurrency?: number;
}

/**
 * Reads every blob back and hashes it. A blob whose bytes no longer match its name (a bit
 * flip on disk, an object overwritten in the bucket) is reported; with `quarantine` its bytes
 * are kept as a document for inspection and the blob removed, so the mirror fetches a good
 * copy from an upstream on the next request instead of serving bytes that fail verification.
 */
export async function verifyStore(store: Store, options: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { blobs: 0, bytes: 0, damaged: [] };
  const listing = store.listBlobs()[Symbol.asyncIterator]();
  // A few reads at once: an object store answers each read slowly but many in parallel.
  const worker = async () => {
    for (let next = await listing.next(); !next.done; next = await listing.next()) {
      options.signal?.throwIfAborted();
      const damage = await checkBlob(store, next.value, options.quarantine);
      if (damage === 'gone') continue;
      report.blobs += 1;
      report.bytes += next.value.size;
      if (damage) report.damaged.push(damage);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  report.damaged.sort((a, b) => (a.digest < b.digest ? -1 : 1));
  return report;
}

/** What is wrong with one blob, nothing when it matches its digest, `gone` when it was removed meanwhile. */
async function checkBlob(
  store: Store,
  blob: BlobInfo,
  quarantine: boolean,
): Promise<DamagedBlob | undefined | 'gone'> {
  const { digest, size } = blob;
  let actual: Digest;
  try {
    actual = await hashBlob(store, digest);
  } catch (error) {
    // Removed between listing and reading (gc, a quarantine by another run): not damage.
    if (isBallastError(error, 'BALLAST_BLOB_NOT_FOUND')) return 'gone';
    const reason = error instanceof Error ? error.message : String(error);
    return { digest, size, error: reason, quarantined: false };
  }
  if (actual === digest) return undefined;
  if (quarantine) {
    await store.putDocument(storeKeys.quarantine(digest), await store.readBlob(digest));
    await store.deleteBlob(digest);
  }
  return { digest, size, actual, quarantined: quarantine };
}

async function hashBlob(store: Store, digest: Digest): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of await store.readBlob(digest)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
