import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBallastProcess } from './support/ballast.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { seededBytes } from './support/seeded-bytes.ts';
import { startStaticServer } from './support/static-server.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { tempDir } from './support/temp-dir.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const errorOf = (body: Buffer) =>
  (JSON.parse(body.toString()) as { error: { code: string; message: string } }).error;

test('a checksum file naming another file: client, log and metric agree on one code', async (t) => {
  const work = await tempDir('files-refusals', t);
  await mkdir(join(work, 'empty'));
  await mkdir(join(work, 'second'));
  const content = seededBytes('tool', 4096);
  await writeFile(join(work, 'second', 'tool.tar.gz'), content);
  await writeFile(
    join(work, 'second', 'tool.tar.gz.sha256sum'),
    `${sha256(content)}  other.tar.gz\n`,
  );
  // The first upstream has neither the file nor a checksum file: its 404 must not win.
  const first = await startStaticServer({ root: join(work, 'empty') });
  t.after(() => first.stop());
  const second = await startStaticServer({ root: join(work, 'second') });
  t.after(() => second.stop());
  const ballast = await startBallastProcess({
    files: [{ name: 'tools', upstreams: [first.url, second.url] }],
  });
  t.after(() => ballast.stop());
  const before = await storeSnapshot(ballast.dataDir);

  for (const path of ['tool.tar.gz', 'tool.tar.gz.sha256sum']) {
    const response = await httpRequest(`${ballast.url}/files/tools/${path}`);
    assert.equal(response.status, 502, path);
    const error = errorOf(response.body);
    assert.equal(error.code, 'BALLAST_FILE_CHECKSUM_INVALID', path);
    assert.match(error.message, /names another file, not tool\.tar\.gz/);
  }
  const rejected = (code?: string) =>
    metricValue(ballast.url, 'ballast_files_rejected_total', code ? { mirror: 'tools', code } : {});
  const counted = await rejected('BALLAST_FILE_CHECKSUM_INVALID');
  assert.ok(counted >= 2, 'one refusal per request');
  assert.equal(await rejected(), counted, 'no other code counted');
  // Log lines reach the test a moment after the responses.
  await eventually(async () => {
    const logged = ballast
      .logs()
      .filter((line) => line.event === 'file:rejected')
      .map((line) => line.code);
    assert.deepEqual(logged, Array(counted).fill('BALLAST_FILE_CHECKSUM_INVALID'));
  });
  assert.deepEqual(await storeSnapshot(ballast.dataDir), before, 'nothing stored changed');
});

test('a file refused by maxSize leaves no checksum file stored', async (t) => {
  const work = await tempDir('files-max-size', t);
  const big = seededBytes('big', 64 * 1024);
  await writeFile(join(work, 'big.bin'), big);
  await writeFile(join(work, 'big.bin.sha256sum'), `${sha256(big)}  big.bin\n`);
  const upstream = await startStaticServer({ root: work });
  t.after(() => upstream.stop());
  const ballast = await startBallastProcess({
    files: [{ name: 'bins', upstreams: [upstream.url], maxSize: '16KiB' }],
  });
  t.after(() => ballast.stop());
  const before = await storeSnapshot(ballast.dataDir);

  const response = await httpRequest(`${ballast.url}/files/bins/big.bin`);
  assert.equal(response.status, 502);
  assert.equal(errorOf(response.body).code, 'BALLAST_BODY_TOO_LARGE');
  assert.deepEqual(await storeSnapshot(ballast.dataDir), before, 'no file, no checksum file');
  // Asked for by itself, the checksum file is fetched and served as before.
  const sidecar = await httpRequest(`${ballast.url}/files/bins/big.bin.sha256sum`);
  assert.equal(sidecar.status, 200);
  assert.equal(sidecar.body.toString(), `${sha256(big)}  big.bin\n`);
});
