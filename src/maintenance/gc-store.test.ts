import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { buildChartArchive } from '../../bench/chart-archive.ts';
import { loadedHostedRepo } from '../../test/support/hosted-repo.ts';
import { createBlobUploads } from '../hosted/blob-uploads.ts';
import { spoolIndex, storedIndexDocument } from '../mirror/stored-index.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import type { Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { collectGarbage } from './gc-store.ts';

const put = (store: Store, text: string) =>
  store.putBlob(Readable.from([Buffer.from(text)]), { maxBytes: 1e6, what: text, source: 'test' });
async function tempStore(t: TestContext): Promise<Store> {
  const root = await mkdtemp(path.join(tmpdir(), 'ballast-gc-'));
  const store = await createFsStore({ root });
  t.after(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });
  return store;
}
const hex = (digest: Digest) => digest.slice('sha256:'.length);

async function storeIndex(store: Store, key: string, digests: Digest[]) {
  const entries = digests.map((d, i) => ({
    name: 'app',
    version: `1.0.${i}`,
    urls: [`app-1.0.${i}.tgz`],
    digest: hex(d),
  }));
  const index = JSON.stringify({ apiVersion: 'v1', entries: { app: entries } });
  const spooled = await spoolIndex(Readable.from([Buffer.from(index)]));
  const meta = {
    format: 2 as const,
    fetchedAt: 0,
    upstream: 'http://u',
    validators: {},
    versions: 1,
  };
  await store.putDocument(key, storedIndexDocument(meta, spooled));
  await spooled.dispose();
}

test('a chart no index lists goes with its manifest and provenance documents; a listed chart keeps its config', async (t) => {
  const store = await tempStore(t);
  const listed = await put(store, 'listed chart');
  const dropped = await put(store, 'dropped chart');
  const listedConfig = await put(store, 'listed config');
  const droppedConfig = await put(store, 'dropped config');
  await storeIndex(store, 'repos/demo/upstreams/0123456789abcdef', [listed.digest]);
  const manifest = (chart: Digest, config: Digest) =>
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: config, size: 1 },
      layers: [
        {
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
          digest: chart,
          size: 1,
        },
      ],
    });
  await store.putDocument(
    storeKeys.ociUpstreamManifest(listed.digest),
    manifest(listed.digest, listedConfig.digest),
  );
  await store.putDocument(
    storeKeys.ociUpstreamManifest(dropped.digest),
    manifest(dropped.digest, droppedConfig.digest),
  );
  const pointer = storeKeys.ociManifestChart(
    `sha256:${createHash('sha256').update('m').digest('hex')}`,
  );
  await store.putDocument(pointer, dropped.digest);
  const provenance = `repos/demo/provenance/${hex(dropped.digest)}.prov`;
  await store.putDocument(provenance, 'signature');

  const later = () => Date.now() + 10 * 60_000;
  const report = await collectGarbage(store, { graceMs: 0, dryRun: false, now: later });
  assert.deepEqual(
    report.removed.map((b) => b.digest).sort(),
    [dropped.digest, droppedConfig.digest].sort(),
  );
  assert.deepEqual(
    report.removedDocuments.sort(),
    [pointer, provenance, storeKeys.ociUpstreamManifest(dropped.digest)].sort(),
  );
  assert.ok(await store.statBlob(listed.digest));
  assert.ok(await store.statBlob(listedConfig.digest));
  assert.ok(await store.getDocument(storeKeys.ociUpstreamManifest(listed.digest)));
  assert.equal(await store.getDocument(pointer), undefined);
});

test('a blob written while gc runs is kept, even with no grace period', async (t) => {
  const store = await tempStore(t);
  const old = await put(store, 'old orphan');
  let written: Digest | undefined;
  // A replica stores a chart after gc has read the references, before it lists the blobs.
  const racing: Store = {
    ...store,
    async *listBlobs() {
      written = (await put(store, 'chart a replica is writing')).digest;
      for await (const blob of store.listBlobs())
        yield blob.digest === old.digest ? { ...blob, modified: new Date(0) } : blob;
    },
  };
  const report = await collectGarbage(racing, { graceMs: 0, dryRun: false });
  assert.ok(written);
  assert.deepEqual(
    report.removed.map((b) => b.digest),
    [old.digest],
  );
  assert.equal(report.recent, 1);
  assert.ok(await store.statBlob(written));
});

test('an upload untouched for the grace period is removed with its chunks; a live one is kept', async (t) => {
  const store = await tempStore(t);
  const uploads = createBlobUploads(store);
  const abandoned = await uploads.start('team/app');
  await uploads.append('team/app', abandoned.id, Readable.from([Buffer.from('half a chart')]), {
    maxBytes: 1e6,
  });
  const later = Date.now() + 2 * 3_600_000;
  const live = await uploads.start('team/app');
  const dry = await collectGarbage(store, { graceMs: 3_600_000, dryRun: true, now: () => later });
  assert.equal(dry.removedUploads.length, 2, 'both are older than the grace period then');
  const report = await collectGarbage(store, {
    graceMs: 3_600_000,
    dryRun: false,
    now: () => Date.now(),
  });
  assert.deepEqual(report.removedUploads, [], 'both were written just now');
  const swept = await collectGarbage(store, { graceMs: 0, dryRun: false, now: () => later });
  assert.deepEqual(swept.removedUploads.sort(), [abandoned.id, live.id].sort());
  assert.deepEqual(await store.listDocuments(storeKeys.uploads), []);
  await assert.rejects(uploads.status('team/app', abandoned.id), /no upload/);
});

test('blobs a hosted catalogue names stay (chart, provenance, a pushed manifest and its config); a deleted version goes', async (t) => {
  const store = await tempStore(t);
  const repo = await loadedHostedRepo(store);
  const actor = { who: 'ci', address: '127.0.0.1' };
  const kept = buildChartArchive({ name: 'kept', version: '1.0.0', targetBytes: 2000 });
  const gone = buildChartArchive({ name: 'gone', version: '1.0.0', targetBytes: 2000 });
  const configBlob = await put(store, '{"name":"kept","version":"1.0.0"}');
  const manifest = await put(store, `{"config":{"digest":"${configBlob.digest}"}}`);
  await repo.putChart(
    {
      chart: kept,
      manifest: {
        digest: manifest.digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    },
    actor,
  );
  const removed = await repo.putChart({ chart: gone }, actor);
  await repo.remove('gone', '1.0.0', actor);
  const report = await collectGarbage(store, {
    graceMs: 0,
    dryRun: false,
    now: () => Date.now() + 120_000,
  });
  assert.deepEqual(
    report.removed.map((r) => r.digest),
    [removed.digest],
  );
  assert.equal(report.referenced, 3);
  assert.ok(await repo.chart('kept-1.0.0.tgz'));
});
