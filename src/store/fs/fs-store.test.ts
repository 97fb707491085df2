import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runStoreContract } from '../store-contract.ts';
import { createFsStore } from './fs-store.ts';

runStoreContract('fs store', async () =>
  createFsStore({ root: await mkdtemp(path.join(tmpdir(), 'ballast-fs-')) }),
);

test('fs store: leftovers of an interrupted write are cleared at start-up', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'ballast-fs-'));
  await createFsStore({ root });
  await writeFile(path.join(root, 'tmp', 'half-written'), 'partial');
  await createFsStore({ root });
  assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
});
