import type { Digest, Store } from '../store/store.ts';

export interface BlobMemoryCache {
  /** The blob's bytes when it is small enough to keep in memory, else undefined. */
  get(digest: Digest, size: number): Promise<Buffer | undefined>;
}

/**
 * Keeps the most recently served small blobs in memory (least recently used goes first), so
 * a popular chart is answered without touching the disk. Blobs are immutable, so a cached copy
 * is never out of date.
 */
export function createBlobMemoryCache(
  store: Store,
  maxBytes: number,
  maxItemBytes: number,
): BlobMemoryCache {
  const entries = new Map<Digest, Buffer>();
  let total = 0;
  return {
    async get(digest, size) {
      if (size > maxItemBytes || maxBytes === 0) return undefined;
      const hit = entries.get(digest);
      if (hit) {
        entries.delete(digest);
        entries.set(digest, hit);
        return hit;
      }
      const bytes = Buffer.concat(await (await store.readBlob(digest)).toArray());
      entries.set(digest, bytes);
      total += bytes.length;
      for (const [oldest, buffer] of entries) {
        if (total <= maxBytes) break;
        entries.delete(oldest);
        total -= buffer.length;
      }
      return bytes;
    },
  };
}
