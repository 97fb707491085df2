import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import type { Digest, Store } from './store.ts';

/** The behaviour every Store implementation must have; run by each implementation's test. */
export function runStoreContract(name: string, makeStore: () => Promise<Store>): void {
  const bytes = Buffer.from('chart bytes '.repeat(1000));
  const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const chunks = (data: Buffer, size = 1000) =>
    (async function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })();
  const opts = { maxBytes: 1 << 20, what: 'chart', source: 'test' };

  test(`${name}: a blob is stored by its digest and read back whole or by range`, async () => {
    const store = await makeStore();
    const info = await store.putBlob(chunks(bytes), { ...opts, expectedDigest: digest });
    assert.deepEqual(info, { digest, size: bytes.length });
    assert.deepEqual(await store.statBlob(digest), info);
    assert.deepEqual(Buffer.concat(await (await store.readBlob(digest)).toArray()), bytes);
    const part = Buffer.concat(
      await (await store.readBlob(digest, { start: 5, end: 15 })).toArray(),
    );
    assert.deepEqual(part, bytes.subarray(5, 16));
    await store.close();
  });

  test(`${name}: a digest mismatch stores nothing`, async () => {
    const store = await makeStore();
    const wrong: Digest = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(
      store.putBlob(chunks(bytes), { ...opts, expectedDigest: wrong }),
      (error) => isBallastError(error, 'BALLAST_DIGEST_MISMATCH'),
    );
    assert.equal(await store.statBlob(wrong), undefined);
    assert.equal(await store.statBlob(digest), undefined);
    await store.close();
  });

  test(`${name}: a blob over the size limit stores nothing`, async () => {
    const store = await makeStore();
    await assert.rejects(store.putBlob(chunks(bytes), { ...opts, maxBytes: 100 }), (error) =>
      isBallastError(error, 'BALLAST_BODY_TOO_LARGE'),
    );
    assert.equal(await store.statBlob(digest), undefined);
    await store.close();
  });

  test(`${name}: a source that fails midway stores nothing`, async () => {
    const store = await makeStore();
    async function* broken() {
      yield bytes.subarray(0, 100);
      throw new Error('connection reset');
    }
    await assert.rejects(store.putBlob(broken(), opts), /connection reset/);
    assert.equal(await store.statBlob(digest), undefined);
    await store.close();
  });

  test(`${name}: blobs are listed with their size and deleted by digest`, async () => {
    const store = await makeStore();
    const other = Buffer.from('another chart');
    const before = Date.now() - 60_000;
    await store.putBlob(chunks(bytes), opts);
    const { digest: otherDigest } = await store.putBlob(chunks(other), opts);
    const listed = [];
    for await (const blob of store.listBlobs()) listed.push(blob);
    assert.deepEqual(
      listed.map(({ digest, size }) => ({ digest, size })).sort((a, b) => a.size - b.size),
      [
        { digest: otherDigest, size: other.length },
        { digest, size: bytes.length },
      ],
    );
    assert.ok(listed.every((blob) => blob.modified.getTime() > before));
    await store.deleteBlob(otherDigest);
    await store.deleteBlob(otherDigest);
    assert.equal(await store.statBlob(otherDigest), undefined);
    assert.deepEqual(await store.statBlob(digest), { digest, size: bytes.length });
    await store.close();
  });

  test(`${name}: reading a missing blob is a not-found error`, async () => {
    const store = await makeStore();
    await assert.rejects(store.readBlob(`sha256:${'a'.repeat(64)}`), (error) =>
      isBallastError(error, 'BALLAST_BLOB_NOT_FOUND'),
    );
    await store.close();
  });

  test(`${name}: documents are replaced whole, listed by prefix and deleted`, async () => {
    const store = await makeStore();
    assert.equal(await store.getDocument('repos/a/index.json'), undefined);
    await store.putDocument('repos/a/index.json', '{"v":1}');
    await store.putDocument('repos/a/index.json', '{"v":2}');
    await store.putDocument('repos/b/index.json', 'b');
    assert.equal((await store.getDocument('repos/a/index.json'))?.toString(), '{"v":2}');
    assert.deepEqual(await store.listDocuments('repos/'), [
      'repos/a/index.json',
      'repos/b/index.json',
    ]);
    await store.deleteDocument('repos/a/index.json');
    assert.equal(await store.getDocument('repos/a/index.json'), undefined);
    await store.close();
  });

  test(`${name}: a document can be written from a stream and read as one`, async () => {
    const store = await makeStore();
    await store.putDocument('repos/big/index', chunks(bytes, 333));
    const stream = await store.openDocument('repos/big/index');
    assert.ok(stream);
    assert.deepEqual(Buffer.concat(await stream.toArray()), bytes);
    assert.equal(await store.openDocument('repos/none/index'), undefined);
    await store.close();
  });

  test(`${name}: a document stream that fails midway leaves the old document in place`, async () => {
    const store = await makeStore();
    await store.putDocument('repos/a/index', 'old');
    async function* broken() {
      yield Buffer.from('new and partial');
      throw new Error('upstream reset');
    }
    await assert.rejects(store.putDocument('repos/a/index', broken()), /upstream reset/);
    assert.equal((await store.getDocument('repos/a/index'))?.toString(), 'old');
    await store.close();
  });

  test(`${name}: ranges stream exactly the bytes asked for, at both ends`, async () => {
    const store = await makeStore();
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    const { digest: bigDigest } = await store.putBlob(chunks(big, 65_536), {
      ...opts,
      expectedDigest: undefined,
    });
    const read = async (start: number, end: number) =>
      Buffer.concat(await (await store.readBlob(bigDigest, { start, end })).toArray());
    assert.deepEqual(await read(0, 0), big.subarray(0, 1));
    assert.deepEqual(await read(big.length - 1, big.length - 1), big.subarray(big.length - 1));
    assert.deepEqual(await read(65_530, 200_000), big.subarray(65_530, 200_001));
    assert.deepEqual(await read(0, big.length - 1), big);
    await store.close();
  });

  test(`${name}: concurrent writes of the same blob all succeed and store it once`, async () => {
    const store = await makeStore();
    const writes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.putBlob(chunks(bytes, 500 + i * 97), { ...opts, expectedDigest: digest }),
      ),
    );
    for (const info of writes) assert.deepEqual(info, { digest, size: bytes.length });
    assert.deepEqual(Buffer.concat(await (await store.readBlob(digest)).toArray()), bytes);
    const listed = [];
    for await (const blob of store.listBlobs()) listed.push(blob.digest);
    assert.deepEqual(listed, [digest]);
    await store.close();
  });

  test(`${name}: a conditional create succeeds once, then conflicts`, async () => {
    const store = await makeStore();
    const version = await store.putDocument('repos/a/served', 'first', { ifAbsent: true });
    const info = await store.statDocument('repos/a/served');
    assert.equal(info?.version, version);
    assert.equal(info?.size, 'first'.length);
    await assert.rejects(store.putDocument('repos/a/served', 'second', { ifAbsent: true }), (e) =>
      isBallastError(e, 'BALLAST_STORE_CONFLICT'),
    );
    assert.equal((await store.getDocument('repos/a/served'))?.toString(), 'first');
    assert.equal(await store.statDocument('repos/none'), undefined);
    await store.close();
  });

  test(`${name}: a replace of the version read wins once; an older writer never overwrites`, async () => {
    const store = await makeStore();
    const v1 = await store.putDocument('repos/a/index', 'v1');
    const v2 = await store.putDocument('repos/a/index', 'v2', { ifVersion: v1 });
    assert.notEqual(v2, v1);
    await assert.rejects(store.putDocument('repos/a/index', 'stale', { ifVersion: v1 }), (e) =>
      isBallastError(e, 'BALLAST_STORE_CONFLICT'),
    );
    assert.equal((await store.getDocument('repos/a/index'))?.toString(), 'v2');
    // Two writers that read the same version race: exactly one of them lands.
    const racers = await Promise.allSettled(
      ['x', 'y', 'z'].map((value) =>
        store.putDocument('repos/a/index', chunks(Buffer.from(value.repeat(5000))), {
          ifVersion: v2,
        }),
      ),
    );
    const won = racers.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const lost of racers.filter((r) => r.status === 'rejected'))
      assert.ok(isBallastError(lost.reason, 'BALLAST_STORE_CONFLICT'), String(lost.reason));
    const stored = await store.getDocument('repos/a/index');
    assert.ok(stored && /^(x+|y+|z+)$/.test(stored.toString()) && stored.length === 5000);
    assert.equal((await store.statDocument('repos/a/index'))?.version, won[0]?.value);
    await store.close();
  });

  test(`${name}: listings page through every key and blob`, async () => {
    const store = await makeStore();
    const keys = Array.from(
      { length: 23 },
      (_, i) => `files/m/entries/${String(i).padStart(3, '0')}`,
    );
    await Promise.all(keys.map((key) => store.putDocument(key, key)));
    await store.putDocument('files/other/entries/x', 'x');
    assert.deepEqual(await store.listDocuments('files/m/'), keys);
    const digests = await Promise.all(
      Array.from({ length: 13 }, (_, i) => store.putBlob(chunks(Buffer.from(`blob ${i}`)), opts)),
    );
    const listed = [];
    for await (const blob of store.listBlobs()) listed.push(blob.digest);
    assert.deepEqual(listed.sort(), digests.map((d) => d.digest).sort());
    await store.close();
  });

  test(`${name}: keys and digests that try to escape are refused`, async () => {
    const store = await makeStore();
    for (const key of ['../outside', 'a/../../b', '/abs', 'a//b', 'a/./b', '']) {
      await assert.rejects(
        store.putDocument(key, 'x'),
        (error) => isBallastError(error, 'BALLAST_STORE_KEY_INVALID'),
        key,
      );
    }
    await assert.rejects(store.readBlob('sha256:../../etc/passwd' as Digest), (error) =>
      isBallastError(error, 'BALLAST_STORE_KEY_INVALID'),
    );
    await store.close();
  });
}
