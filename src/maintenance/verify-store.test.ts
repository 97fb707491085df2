import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { BallastError } from '../errors/ballast-error.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { verifyStore } from './verify-store.ts';

test('verify reads blobs a few at a time, reports each damaged one once, in digest order, and skips blobs removed meanwhile', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'ballast-verify-'));
  const store = await createFsStore({ root });
  t.after(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });
  const blobs = [];
  for (let i = 0; i < 12; i++)
    blobs.push(
      await store.putBlob(Readable.from([Buffer.from(`blob ${i}`.repeat(1000))]), {
        maxBytes: 1e6,
        what: 'blob',
        source: 'test',
      }),
    );
  const damaged = blobs.slice(0, 3);
  for (const { digest } of damaged) {
    const hex = digest.slice('sha256:'.length);
    await writeFile(path.join(root, 'blobs', 'sha256', hex.slice(0, 2), hex), 'flipped');
  }
  const removed = blobs[11];
  let reading = 0;
  let most = 0;
  const watched: Store = {
    ...store,
    async readBlob(digest, range) {
      if (digest === removed?.digest) throw new BallastError('BALLAST_BLOB_NOT_FOUND', { digest });
      reading += 1;
      most = Math.max(most, reading);
      const stream = await store.readBlob(digest, range);
      stream.once('close', () => {
        reading -= 1;
      });
      return stream;
    },
  };
  const report = await verifyStore(watched, { quarantine: true, concurrency: 3 });
  assert.equal(report.blobs, 11);
  assert.deepEqual(
    report.damaged.map((d) => d.digest),
    damaged.map((d) => d.digest).sort(),
  );
  assert.ok(report.damaged.every((d) => d.quarantined && d.actual !== d.digest));
  assert.ok(most > 1 && most <= 3, `at most 3 reads at once (saw ${most})`);
  for (const { digest } of damaged) {
    assert.equal(await store.statBlob(digest), undefined);
    assert.equal((await store.getDocument(storeKeys.quarantine(digest)))?.toString(), 'flipped');
  }
  assert.equal((await verifyStore(store, { quarantine: false })).damaged.length, 0);
});
