import { createHash } from 'node:crypto';
import { isBallastError } from '../errors/ballast-error.ts';
import type { Digest, Store } from '../store/store.ts';

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
}

/** Where the bytes of a damaged blob are kept for inspection. */
export function quarantineKey(digest: Digest): string {
  return `quarantine/${digest.slice('sha256:'.length)}`;
}

/**
 * Reads every blob back and hashes it. A blob whose bytes no longer match its name (a bit
 * flip on disk, an object overwritten in the bucket) is reported; with `quarantine` its bytes
 * are kept as a document for inspection and the blob removed, so the mirror fetches a good
 * copy from an upstream on the next request instead of serving bytes that fail verification.
 */
export async function verifyStore(store: Store, options: VerifyOptions): Promise<VerifyReport> {
  const report: VerifyReport = { blobs: 0, bytes: 0, damaged: [] };
  for await (const blob of store.listBlobs()) {
    options.signal?.throwIfAborted();
    let actual: Digest;
    try {
      actual = await hashBlob(store, blob.digest);
    } catch (error) {
      // Removed between listing and reading (gc, a quarantine by another run): not damage.
      if (isBallastError(error, 'BALLAST_BLOB_NOT_FOUND')) continue;
      report.blobs += 1;
      const reason = error instanceof Error ? error.message : String(error);
      report.damaged.push({ ...pick(blob), error: reason, quarantined: false });
      continue;
    }
    report.blobs += 1;
    report.bytes += blob.size;
    if (actual === blob.digest) continue;
    let quarantined = false;
    if (options.quarantine) {
      await store.putDocument(quarantineKey(blob.digest), await store.readBlob(blob.digest));
      await store.deleteBlob(blob.digest);
      quarantined = true;
    }
    report.damaged.push({ ...pick(blob), actual, quarantined });
  }
  return report;
}

const pick = ({ digest, size }: { digest: Digest; size: number }) => ({ digest, size });

async function hashBlob(store: Store, digest: Digest): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of await store.readBlob(digest)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
