import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runStoreContract } from '../store-contract.ts';
import { createFsStore } from './fs-store.ts';

runStoreContract('fs store', async () =>
  createFsStore({ root: await mkdtemp(path.join(tmpdir(), 'ballast-fs-')) }),
);

test('fs store: leftovers of a process that is gone are cleared at start-up', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'ballast-fs-'));
  await (await createFsStore({ root })).close();
  await mkdir(path.join(root, 'tmp', '999999999-dead'), { recursive: true });
  await writeFile(path.join(root, 'tmp', '999999999-dead', 'half-written'), 'partial');
  await writeFile(path.join(root, 'tmp', 'half-written'), 'partial');
  const store = await createFsStore({ root });
  assert.equal(
    (await readdir(path.join(root, 'tmp'))).length,
    1,
    "only the new store's own folder",
  );
  await store.close();
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
});

test('fs store: writes in progress of another live process are left alone', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'ballast-fs-'));
  const other = path.join(root, 'tmp', `${process.ppid}-live`);
  await mkdir(other, { recursive: true });
  await writeFile(path.join(other, 'downloading'), 'partial');
  const store = await createFsStore({ root });
  assert.equal((await readFile(path.join(other, 'downloading'))).toString(), 'partial');
  await store.close();
});
