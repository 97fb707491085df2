import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import { parseContentRange, uploadedRange } from '../oci/upload-range.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Digest } from '../store/store.ts';
import { createBlobUploads } from './blob-uploads.ts';

const body = (text: string) => Readable.from([Buffer.from(text)]);
const digestOf = (text: string): Digest =>
  `sha256:${createHash('sha256').update(text).digest('hex')}`;
const code = (expected: ErrorCode) => (error: unknown) => isBallastError(error, expected);

describe('blob uploads kept in the store', () => {
  test('two replicas racing for one offset: one chunk lands, the other is 416, the blob is whole', async () => {
    const store = createMemoryStore();
    const [a, b] = [createBlobUploads(store), createBlobUploads(store)];
    const { id } = await a.start('team/app');
    await a.append('team/app', id, body('head-'), { maxBytes: 100 });
    const results = await Promise.allSettled([
      a.append('team/app', id, body('left'), { range: { start: 5, end: 8 }, maxBytes: 100 }),
      b.append('team/app', id, body('rght'), { range: { start: 5, end: 8 }, maxBytes: 100 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1);
    assert.ok(lost.every((r) => code('BALLAST_UPLOAD_RANGE_INVALID')(r.reason)));
    const winner = results[0]?.status === 'fulfilled' ? 'head-left' : 'head-rght';
    const blob = await b.finish('team/app', id, digestOf(winner), undefined, 100);
    assert.equal(blob.digest, digestOf(winner));
    assert.deepEqual(await store.listDocuments('uploads/'), [], 'the loser left no chunk');
  });

  test('an upload belongs to its name; ids that are not ours never reach a key', async () => {
    const uploads = createBlobUploads(createMemoryStore());
    const { id } = await uploads.start('team/app');
    await assert.rejects(uploads.status('team/other', id), code('BALLAST_UPLOAD_UNKNOWN'));
    await assert.rejects(uploads.cancel('team/other', id), code('BALLAST_UPLOAD_UNKNOWN'));
    for (const bad of ['../state', 'x', `${id}/state`, id.toUpperCase()])
      await assert.rejects(uploads.status('team/app', bad), code('BALLAST_UPLOAD_UNKNOWN'));
    assert.equal((await uploads.status('team/app', id)).size, 0);
  });

  test('a chunk whose Content-Range does not cover its bytes is refused and not kept', async () => {
    const uploads = createBlobUploads(createMemoryStore());
    const { id } = await uploads.start('team/app');
    await assert.rejects(
      uploads.append('team/app', id, body('abc'), { range: { start: 0, end: 9 }, maxBytes: 100 }),
      code('BALLAST_UPLOAD_RANGE_INVALID'),
    );
    assert.equal((await uploads.status('team/app', id)).size, 0);
  });
});

test('Content-Range as the spec writes it and as HTTP does; Range of what was received', () => {
  assert.equal(parseContentRange(undefined), undefined);
  assert.deepEqual(parseContentRange('0-1023'), { start: 0, end: 1023 });
  assert.deepEqual(parseContentRange('bytes 1024-2047/4096'), { start: 1024, end: 2047 });
  assert.deepEqual(parseContentRange('bytes=5-9/*'), { start: 5, end: 9 });
  for (const bad of ['9-5', '-5', 'abc', '1-2-3', `0-${'9'.repeat(20)}`])
    assert.throws(() => parseContentRange(bad), /Content-Range/, bad);
  assert.equal(uploadedRange(0), '0-0');
  assert.equal(uploadedRange(10), '0-9');
});
