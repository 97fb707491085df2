import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { createCachedStore } from './cached-store.ts';
import { createMemoryStore } from './memory/memory-store.ts';
import type { Digest, Store } from './store.ts';

const opts = { maxBytes: 1 << 20, what: 'blob', source: 'test' };
const put = (store: Store, text: string) => store.putBlob(Readable.from([Buffer.from(text)]), opts);
const read = async (store: Store, digest: Digest) =>
  Buffer.concat(await (await store.readBlob(digest)).toArray()).toString();

/** The remote store, counting the blob reads that reach it. */
function counted(remote: Store) {
  const reads: Digest[] = [];
  return {
    reads,
    store: {
      ...remote,
      readBlob: (digest: Digest, range?: { start: number; end: number }) => {
        reads.push(digest);
        return remote.readBlob(digest, range);
      },
    } satisfies Store,
  };
}

test('a blob read twice reaches the remote store once, and ranges come from the copy', async () => {
  const remote = counted(createMemoryStore());
  const { digest } = await put(remote.store, 'hot chart bytes');
  const store = await createCachedStore(remote.store, {
    cache: createMemoryStore(),
    maxBytes: 1000,
  });
  assert.equal(await read(store, digest), 'hot chart bytes');
  assert.equal(await read(store, digest), 'hot chart bytes');
  const part = await (await store.readBlob(digest, { start: 4, end: 8 })).toArray();
  assert.equal(Buffer.concat(part).toString(), 'chart');
  assert.deepEqual(remote.reads, [digest]);
});

test('the cache stays within its size; the least recently read blob goes first', async () => {
  const remote = counted(createMemoryStore());
  const cache = createMemoryStore();
  const blobs = await Promise.all(
    ['a', 'b', 'c', 'd', 'e'].map((t) => put(remote.store, t.repeat(25))),
  );
  const [a, b, c, d, e] = blobs.map((blob) => blob.digest) as Digest[] as [
    Digest,
    Digest,
    Digest,
    Digest,
    Digest,
  ];
  const store = await createCachedStore(remote.store, { cache, maxBytes: 100 });
  for (const digest of [a, b, c, d, a, e]) await read(store, digest); // e pushes b out
  assert.equal(await cache.statBlob(b), undefined);
  assert.ok(await cache.statBlob(a));
  assert.ok(await cache.statBlob(e));
  remote.reads.length = 0;
  assert.equal(await read(store, b), 'b'.repeat(25));
  assert.deepEqual(remote.reads, [b]);
});

test('documents are never cached: another replica’s write is seen at once', async () => {
  const remote = createMemoryStore();
  const store = await createCachedStore(remote, { cache: createMemoryStore(), maxBytes: 1000 });
  await store.putDocument('repos/a/served', 'one');
  await remote.putDocument('repos/a/served', 'two');
  assert.equal((await store.getDocument('repos/a/served'))?.toString(), 'two');
});
