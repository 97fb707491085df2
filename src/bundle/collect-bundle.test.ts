import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildChartArchive } from '../../bench/chart-archive.ts';
import { loadedHostedRepo } from '../../test/support/hosted-repo.ts';
import type { Mirrors } from '../app/create-mirrors.ts';
import { digestOf } from '../hosted/hosted-uploads.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { collectBundle } from './collect-bundle.ts';

test('a hosted repository is exported with its catalogue, charts and provenance files', async () => {
  const store = createMemoryStore();
  const repo = await loadedHostedRepo(store);
  const chart = buildChartArchive({ name: 'demo', version: '1.0.0', targetBytes: 2000 });
  const prov = Buffer.from(
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: demo\nversion: 1.0.0\n\n...\nfiles:\n  demo-1.0.0.tgz: ${digestOf(chart)}\n-----BEGIN PGP SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n`,
  );
  await repo.putChart({ chart, prov }, { who: 'ci', address: '127.0.0.1' });
  const mirrors = {
    store,
    repos: new Map([['team', repo]]),
    files: new Map(),
  } as unknown as Mirrors;
  const content = await collectBundle(mirrors, { repos: ['team'], files: [] });
  assert.deepEqual(content.documents, [storeKeys.hostedCatalogue('team')]);
  assert.deepEqual(content.blobs, [digestOf(chart), digestOf(prov)].sort());
  assert.deepEqual(content.skipped, []);
});
