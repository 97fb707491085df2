import type { Digest, Store } from './store.ts';

export interface CachedStoreOptions {
  /** The local store that keeps copies (an fs store on the cache directory). */
  cache: Store;
  maxBytes: number;
}

/**
 * A bounded local copy of the blobs read from a remote store, so a popular chart is not a
 * bucket GET per request. Blobs are immutable, so a copy never goes stale; a copy is made
 * through the cache's own putBlob with the digest expected, so the bytes are checked once
 * more on their way in. Least recently read blobs are removed past `maxBytes`; documents
 * (mutable, shared between replicas) always come from the remote store.
 */
export async function createCachedStore(
  remote: Store,
  options: CachedStoreOptions,
): Promise<Store> {
  const { cache, maxBytes } = options;
  // Insertion order is recency: a read moves the blob to the end.
  const held = new Map<Digest, number>();
  let total = 0;
  const listed = [];
  for await (const blob of cache.listBlobs()) listed.push(blob);
  for (const blob of listed.sort((a, b) => a.modified.getTime() - b.modified.getTime())) {
    held.set(blob.digest, blob.size);
    total += blob.size;
  }

  const touch = (digest: Digest, size: number) => {
    if (held.delete(digest)) total -= size;
    held.set(digest, size);
    total += size;
  };
  const evict = async () => {
    for (const [digest, size] of held) {
      if (total <= maxBytes) break;
      held.delete(digest);
      total -= size;
      await cache.deleteBlob(digest);
    }
  };
  const copyIn = async (digest: Digest) => {
    const info = await remote.statBlob(digest);
    // A blob that would push out a quarter of the cache is served from the bucket directly.
    if (!info || info.size > maxBytes / 4) return false;
    await cache.putBlob(await remote.readBlob(digest), {
      expectedDigest: digest,
      maxBytes: info.size,
      what: 'cached blob',
      source: 'store',
    });
    touch(digest, info.size);
    await evict();
    return true;
  };
  const copying = new Map<Digest, Promise<boolean>>();

  return {
    ...remote,
    async statBlob(digest) {
      const size = held.get(digest);
      return size === undefined ? remote.statBlob(digest) : { digest, size };
    },
    async readBlob(digest, range) {
      const size = held.get(digest);
      if (size !== undefined) {
        touch(digest, size);
        // Removed meanwhile (evicted, or by hand): the bucket still has it.
        return cache.readBlob(digest, range).catch(() => remote.readBlob(digest, range));
      }
      let copy = copying.get(digest);
      if (!copy) {
        copy = copyIn(digest).finally(() => copying.delete(digest));
        copying.set(digest, copy);
      }
      const copied = await copy.catch(() => false);
      return copied && held.has(digest)
        ? cache.readBlob(digest, range)
        : remote.readBlob(digest, range);
    },
    async deleteBlob(digest) {
      const size = held.get(digest);
      if (size !== undefined) {
        held.delete(digest);
        total -= size;
        await cache.deleteBlob(digest);
      }
      await remote.deleteBlob(digest);
    },
    async close() {
      await Promise.all([cache.close(), remote.close()]);
    },
  };
}
